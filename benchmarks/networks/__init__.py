"""Networks built from a search space's arch vectors (principle "Networks belong to their search
space"): the same builder serves zero-cost proxies, supernets and retraining, and its parameter
and FLOP counts are tested against the benchmark's published values.

The torch modules are imported lazily: closed-form counts (``nb201_cost``) need numpy only.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

# space name -> "module:function" building one network from (arch, num_classes): the network
# zero-cost proxies score (for DARTS NAS-Bench-Suite-Zero's 8-cell one, not the 20-cell network
# that retraining builds with darts_eval.build_network)
_BUILDERS: dict[str, str] = {
    "nb201": "benchmarks.networks.nb201:build_network",
    "darts": "benchmarks.networks.darts_eval:build_proxy_network",
}


def builder(space_name: str) -> Callable[[Any, int], Any]:
    """The network builder of a search space: ``builder("nb201")(arch, num_classes)``."""
    target = _BUILDERS.get(space_name)
    if target is None:
        raise ValueError(
            f"no network builder for search space {space_name!r}; accepted: {', '.join(_BUILDERS)}"
        )
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)
