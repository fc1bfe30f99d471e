"""XNAS (Nayman et al. 2019): one core (Algorithm 1), two reward sources: sampled architectures
on a benchmark (``benchmark_mode``) or a weight-sharing supernet."""

from optimizers.xnas.benchmark_mode import XNAS, XNASConfig
from optimizers.xnas.core import XNASCore, regret_bound, theoretical_learning_rate

__all__ = ["XNAS", "XNASConfig", "XNASCore", "regret_bound", "theoretical_learning_rate"]
