"""Search algorithms behind one ask/tell protocol; see ``optimizers.base``."""

from optimizers.base import Optimizer, OptimizerConfig
from optimizers.registry import get, names

__all__ = ["Optimizer", "OptimizerConfig", "get", "names"]
