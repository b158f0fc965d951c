"""Graph HyperNetworks for neural architecture search (Zhang, Ren, Urtasun, ICLR 2019, arXiv:1810.05749): the
cell search space as graphs, the GHN that predicts any such network's weights, its training, and GHN-guided
random search."""
from zoo.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "OPS": "zoo.ghn.graph",
    "Cell": "zoo.ghn.graph",
    "NetworkGraph": "zoo.ghn.graph",
    "random_network": "zoo.ghn.graph",
    "sample_cell": "zoo.ghn.graph",
    "GraphHyperNetwork": "zoo.ghn.hypernet",
    "GraphNetwork": "zoo.ghn.network",
})
