"""End-to-end instance segmentation with recurrent attention (Ren & Zemel, CVPR 2017, arXiv:1605.09410)."""
