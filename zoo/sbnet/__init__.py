"""SBNet (arXiv:1801.02108): sparse-block convolutions. So far: the block geometry."""
