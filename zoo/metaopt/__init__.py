"""Short-horizon bias in meta-optimisation (arXiv:1803.02021): the noisy quadratic model and hypergradients."""
from zoo.metaopt import models  # noqa: F401  (registers mlp-100-100)
