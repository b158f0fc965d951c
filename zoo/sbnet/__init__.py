"""SBNet (Ren, Pokrovsky, Yang, Urtasun; CVPR 2018, arXiv:1801.02108): sparse blocks networks.

- :mod:`zoo.sbnet.geometry`: the overlapping block tiling of a conv or residual unit (``calc_block_params``).
- :mod:`zoo.sbnet.ops`: ``reduce_mask``, ``sparse_gather``, ``sparse_scatter`` (+ ``sparse_scatter_zeros``),
  compiled kernels or pure TensorFlow, with gradients.
- :mod:`zoo.sbnet.native`: loads the compiled kernels (built from ``custom_ops/sbnet/``) and says why not.
- :mod:`zoo.sbnet.layers`: ``SparseConv2D`` and ``SparseResBlock`` (also in :mod:`zoo.layers`).
- :mod:`zoo.sbnet.segmenter`: the scene segmenter on a predicted mask (registered as ``sbnet-segnet`` /
  ``sbnet-segnet-dense`` in :mod:`zoo.sbnet.models`).
- :mod:`zoo.sbnet.benchmark`: speed-ups against dense convolution at the paper's stage sizes.
"""
from zoo.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "BlockParams": "zoo.sbnet.geometry",
    "calc_block_params": "zoo.sbnet.geometry",
    "calc_block_params_res_block": "zoo.sbnet.geometry",
    "SparseConv2D": "zoo.sbnet.layers",
    "SparseResBlock": "zoo.sbnet.layers",
    "reduce_mask": "zoo.sbnet.ops",
    "sparse_gather": "zoo.sbnet.ops",
    "sparse_scatter": "zoo.sbnet.ops",
    "sparse_scatter_zeros": "zoo.sbnet.ops",
})
