"""Graph HyperNetworks for neural architecture search (Zhang, Ren, Urtasun, ICLR 2019, arXiv:1810.05749): the
cell search space as graphs, the GHN that predicts any such network's weights, its training, and GHN-guided
random search."""
from zoo.ghn import models  # noqa: F401  (registers the model builders)
from zoo.ghn.graph import OPS, Cell, NetworkGraph, random_network, sample_cell
from zoo.ghn.hypernet import GraphHyperNetwork
from zoo.ghn.network import GraphNetwork

__all__ = ["OPS", "Cell", "NetworkGraph", "GraphHyperNetwork", "GraphNetwork", "random_network", "sample_cell"]
