"""Search algorithms behind one ask/tell protocol; see ``optimizers.base``."""

from optimizers.base import Optimizer, OptimizerConfig
from optimizers.registry import all_names, get, is_multi_objective, multi_objective_names, names

__all__ = ["Optimizer", "OptimizerConfig", "all_names", "get", "is_multi_objective",
           "multi_objective_names", "names"]
