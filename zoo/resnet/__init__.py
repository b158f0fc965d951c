"""Pre-activation ResNets for CIFAR-sized inputs: the RevNet paper's baselines (arXiv:1707.04585, Table 2)."""
