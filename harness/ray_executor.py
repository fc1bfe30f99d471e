"""Run a grid of jobs on a Ray cluster (``--executor ray``): an existing one or a local one.

The remote unit of work is ``harness.executor.run_and_store``, the same function the local
executor runs: each job writes its own result atomically to the same store from the worker that
ran it, so a killed run loses at most the jobs in flight and a rerun skips what is done. The
store's folder must therefore be reachable at the same path from every Ray worker (a local
instance, or a shared file system on a cluster).

Ray is an optional extra (``pip install -e '.[ray]'``); it is imported only here, when asked for.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from harness import search
from harness.executor import run_and_store
from harness.results import ResultsStore

INSTALL_HINT = "pip install -e '.[ray]'  (or: pip install 'ray>=2.9')"


class RayUnavailableError(ImportError):
    """Ray is not installed; the message gives the install command."""


def import_ray():
    """The ``ray`` module, or ``RayUnavailableError`` naming the install command."""
    try:
        import ray
    except ImportError as error:
        raise RayUnavailableError(
            f"--executor ray needs Ray, which is not installed ({error}); install it with: "
            f"{INSTALL_HINT}"
        ) from None
    return ray


def _init(ray, address: str | None, workers: int) -> bool:
    """Connect to ``address`` or start a quiet local instance with ``workers`` CPUs; return
    whether this call started Ray (and so must shut it down)."""
    if ray.is_initialized():
        return False
    # Workers import harness from the driver's tree even when it is not installed.
    root = str(Path(__file__).resolve().parent.parent)
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    runtime_env = {"env_vars": {"PYTHONPATH": path}}
    if address:
        ray.init(address=address, runtime_env=runtime_env, log_to_driver=False,
                 logging_level="warning")
    else:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 logging_level="warning", runtime_env=runtime_env)
    return True


def execute_ray(jobs: Sequence[search.Job], root: Path, workers: int = 1, progress: bool = True,
                address: str | None = None) -> int:
    """Run the jobs of ``jobs`` that have no result yet as Ray tasks; return how many ran.

    Done jobs are skipped before Ray starts, so a finished grid never starts a cluster."""
    store = ResultsStore(root)
    store.remove_partial_files()
    todo = [job for job in jobs if not store.is_done(job.key)]
    if not todo:
        return 0
    ray = import_ray()
    started = _init(ray, address, workers)
    remote = ray.remote(num_cpus=1, max_retries=0)(run_and_store)
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), unit="run", disable=not progress,
               desc="runs (ray)", dynamic_ncols=True)
    root_text = str(Path(root).resolve())
    try:
        pending = [remote.remote(job, root_text) for job in todo]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                ray.get(ref)  # re-raises a task's exception here
                bar.update()
    finally:
        bar.close()
        if started:
            ray.shutdown()
    return len(todo)
