"""Short-horizon bias in meta-optimisation (arXiv:1803.02021): the noisy quadratic model and hypergradients."""
