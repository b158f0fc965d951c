"""Model registry: architectures registered by name, weights named ``ARCH.TAG``, load by name.

An *architecture* is a builder function registered once with :func:`register_model`. A *weight*
is a record in ``pretrained/manifest.json`` (see :mod:`zoo.weights`) named ``ARCH.TAG``, where the
tag says what it was trained on (``resnet-32.fashion_mnist``).
"""
import dataclasses
import difflib
import fnmatch
import inspect
from typing import Callable

from zoo import weights as weights_lib


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """A registered architecture.

    Attributes:
        name: registry name, e.g. ``"resnet-32"``.
        builder: function ``(**kwargs) -> keras.Model``.
        family: model family (the paper package), e.g. ``"resnet"``.
        paper: paper identifier, e.g. ``"arXiv:1707.04585"``.
        description: first line of the builder's docstring.
    """

    name: str
    builder: Callable
    family: str
    paper: str
    description: str


_MODELS: dict[str, ModelSpec] = {}


def register_model(name: str, *, family: str, paper: str):
    """Decorator registering ``builder`` under ``name``; a name may be registered only once."""

    def decorate(builder):
        if name in _MODELS:
            raise ValueError(f"model name {name!r} is already registered by {_MODELS[name].builder.__module__}")
        if "." in name:
            raise ValueError(f"model name {name!r} must not contain '.', which separates ARCH.TAG weight names")
        doc = inspect.getdoc(builder) or ""
        _MODELS[name] = ModelSpec(name, builder, family, paper, doc.splitlines()[0] if doc else "")
        return builder

    return decorate


def list_models(pattern: str = "*", pretrained: bool = False) -> list[str]:
    """Sorted names matching the fnmatch ``pattern``.

    With ``pretrained=False`` these are architectures (``resnet-32``); with ``pretrained=True``,
    the weights that exist for them (``resnet-32.fashion_mnist``).
    """
    if pretrained:
        names = [w for w in weights_lib.load_manifest() if w.split(".", 1)[0] in _MODELS]
    else:
        names = list(_MODELS)
    return sorted(n for n in names if fnmatch.fnmatchcase(n, pattern))


def get_model_spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` of architecture ``name`` (``ARCH`` or ``ARCH.TAG``)."""
    arch = name.split(".", 1)[0]
    if arch not in _MODELS:
        raise ValueError(_unknown_name_message(name))
    return _MODELS[arch]


def get_weight_spec(name: str) -> weights_lib.WeightSpec:
    """The weight record for ``ARCH.TAG``, or for ``ARCH`` its only/first weight."""
    get_model_spec(name)
    manifest = weights_lib.load_manifest()
    if "." in name:
        if name not in manifest:
            raise ValueError(_unknown_name_message(name, candidates=list(manifest)))
        return manifest[name]
    tags = sorted(w for w in manifest if w.split(".", 1)[0] == name)
    if not tags:
        raise ValueError(
            f"{name!r} has no pretrained weights; pass pretrained=False to build it with random "
            f"weights. Pretrained models: {', '.join(list_models(pretrained=True)) or 'none'}"
        )
    return manifest[tags[0]]


def model_info(name: str) -> dict:
    """Everything known about ``name``: the architecture, and for ``ARCH.TAG`` every field of its weight record."""
    spec = get_model_spec(name)
    info = {
        "architecture": spec.name,
        "family": spec.family,
        "paper": spec.paper,
        "description": spec.description,
        "builder": f"{spec.builder.__module__}.{spec.builder.__name__}",
        "weights": list_models(f"{spec.name}.*", pretrained=True),
    }
    if "." in name:
        info["weight"] = dataclasses.asdict(get_weight_spec(name))
    return info


def build(name: str, **kwargs):
    """Build architecture ``name`` with random weights."""
    return get_model_spec(name).builder(**kwargs)


def load(name: str, pretrained: bool = True, **overrides):
    """Build model ``name`` and, if ``pretrained``, load its verified weights.

    Args:
        name: ``ARCH`` or ``ARCH.TAG`` (see :func:`list_models`). ``ARCH`` with ``pretrained=True``
            takes the architecture's first weight.
        pretrained: load weights (sha256-verified; see :mod:`zoo.weights`) or keep random ones.
        **overrides: builder keyword arguments. With pretrained weights they may not change what the
            weights were trained with (e.g. ``num_classes``).

    Returns:
        A built ``keras.Model``.
    """
    spec = get_model_spec(name)
    if not pretrained:
        return spec.builder(**overrides)
    weight = get_weight_spec(name)
    conflicts = {
        k: (v, weight.builder_kwargs[k])
        for k, v in overrides.items()
        if k in weight.builder_kwargs and _normalise(v) != _normalise(weight.builder_kwargs[k])
    }
    if conflicts:
        detail = ", ".join(f"{k}={v!r} (weights have {w!r})" for k, (v, w) in conflicts.items())
        raise ValueError(f"overrides conflict with the pretrained weights of {weight.name!r}: {detail}")
    model = spec.builder(**{**weight.builder_kwargs, **overrides})
    model.load_weights(weights_lib.resolve(weight))
    return model


def _normalise(value):
    return list(value) if isinstance(value, tuple) else value


def _unknown_name_message(name, candidates=None):
    candidates = list(_MODELS) if candidates is None else candidates
    close = difflib.get_close_matches(name, candidates, n=5, cutoff=0.4)
    hint = f" Closest registered names: {', '.join(close)}." if close else ""
    return f"unknown model {name!r}.{hint} See zoo.list_models() for all names."
