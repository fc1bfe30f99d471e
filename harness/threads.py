"""How many threads a job's numerical libraries use (``--threads``).

Default: ``OMP_NUM_THREADS`` when the environment sets it (the user's choice, e.g. a cluster's
job script), else the usable cores divided by the worker processes, so ``-j N`` workers do not
each start a thread per core and fight over them. The number is applied to torch
(``torch.set_num_threads``, when torch is loaded) and exported as ``OMP_NUM_THREADS``,
``MKL_NUM_THREADS`` and ``OPENBLAS_NUM_THREADS`` for libraries that read them when they start.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_threads(workers: int = 1) -> int:
    """``OMP_NUM_THREADS`` if set to a positive integer, else the usable cores // ``workers``
    (at least 1)."""
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, usable_cores() // max(1, workers))


def set_threads(threads: int) -> dict[str, str | None]:
    """Apply ``threads`` to this process; return the environment values it replaced."""
    previous = {name: os.environ.get(name) for name in ENV_VARS}
    for name in ENV_VARS:
        os.environ[name] = str(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    return previous


@contextlib.contextmanager
def limit_threads(threads: int | None) -> Iterator[None]:
    """``set_threads`` within the block (nothing when ``threads`` is None), undone after."""
    if threads is None:
        yield
        return
    torch = sys.modules.get("torch")
    torch_before = torch.get_num_threads() if torch is not None else None
    previous = set_threads(threads)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        torch = sys.modules.get("torch")
        if torch is not None and torch_before is not None:
            torch.set_num_threads(torch_before)
