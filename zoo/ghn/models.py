"""Registered GHN builders: ``ghn`` (the paper's GHN-1 settings) and ``ghn2`` (with GHN-2's parameter
normalization and embedding layer norm), and loading a GHN from a ``tools/ghn/train.py`` run."""
import json
import pathlib

from zoo.registry import build, register_model

PAPER = "arXiv:1810.05749"


@register_model("ghn", family="ghn", paper=PAPER)
def ghn(hidden=32, sweeps=5, **kwargs):
    """Graph hypernetwork with the paper's sizes: GRU 32, message MLP 32, decoder MLP 64, T = 5 sweeps."""
    from zoo.ghn.hypernet import GraphHyperNetwork

    return GraphHyperNetwork(hidden=hidden, sweeps=sweeps, **kwargs)


@register_model("ghn2", family="ghn", paper=PAPER)
def ghn2(hidden=32, sweeps=5, **kwargs):
    """The same GHN with GHN-2's fan-in normalization of predicted kernels and layer norm on node embeddings."""
    from zoo.ghn.hypernet import GraphHyperNetwork

    return GraphHyperNetwork(hidden=hidden, sweeps=sweeps, normalize=True, layer_norm=True, **kwargs)


def load_run(run):
    """The GHN a ``tools/ghn/train.py`` run directory holds (``summary.json`` + ``ghn.weights.h5``), and its summary."""
    run = pathlib.Path(run)
    summary = json.loads((run / "summary.json").read_text())
    ghn = build(summary["model"], **summary["builder_kwargs"])
    ghn.load_weights(run / "ghn.weights.h5")
    return ghn, summary
