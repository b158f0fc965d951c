"""SBNet (Ren, Pokrovsky, Yang, Urtasun; CVPR 2018, arXiv:1801.02108): sparse blocks networks.

- :mod:`zoo.sbnet.geometry`: the overlapping block tiling of a conv or residual unit (``calc_block_params``).
- :mod:`zoo.sbnet.ops`: ``reduce_mask``, ``sparse_gather``, ``sparse_scatter`` (+ ``sparse_scatter_zeros``),
  compiled kernels or pure TensorFlow, with gradients.
- :mod:`zoo.sbnet.layers`: ``SparseConv2D`` and ``SparseResBlock`` (also in :mod:`zoo.layers`).
- :mod:`zoo.sbnet.models`: ``sbnet-segnet`` / ``sbnet-segnet-dense``, scene segmentation on a predicted mask.
- :mod:`zoo.sbnet.benchmark`: speed-ups against dense convolution at the paper's stage sizes.
"""
from zoo.sbnet import models  # noqa: F401  (registers the model builders)
from zoo.sbnet.geometry import BlockParams, calc_block_params, calc_block_params_res_block
from zoo.sbnet.layers import SparseConv2D, SparseResBlock
from zoo.sbnet.ops import reduce_mask, sparse_gather, sparse_scatter, sparse_scatter_zeros

__all__ = ["BlockParams", "calc_block_params", "calc_block_params_res_block", "SparseConv2D", "SparseResBlock",
           "reduce_mask", "sparse_gather", "sparse_scatter", "sparse_scatter_zeros"]
