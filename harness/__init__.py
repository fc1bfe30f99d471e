"""The harness: oracles, the search loop, the experiment runner and the results store.

``harness.run_experiment`` and ``harness.load_results`` are the Python API (``harness.api``);
they are imported on first use, so that importing a submodule stays cheap."""

from __future__ import annotations

__all__ = ["load_results", "run_experiment"]


def __getattr__(name: str):
    if name in __all__:
        from harness import api

        return getattr(api, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
