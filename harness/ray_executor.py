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
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from harness import search
from harness.executor import POLL_SECONDS, count_outcome, run_and_store, take_back_free
from harness.interrupts import GRACE_SECONDS, stop_on_signals
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
                address: str | None = None, threads: int | None = None,
                grace: float = GRACE_SECONDS) -> int:
    """Run the jobs of ``jobs`` that have no result yet as Ray tasks; return how many ran here.

    Done jobs are skipped before Ray starts, so a finished grid never starts a cluster. As many
    tasks are in flight as the cluster has CPUs, so the bar moves as each finishes and a stop
    (Ctrl-C, SIGTERM) submits nothing new; after ``grace`` seconds (or a second signal) the
    running tasks are cancelled (their worker processes killed, which releases their claims)
    and ``harness.interrupts.Interrupted`` is raised."""
    store = ResultsStore(root)
    store.remove_partial_files()
    todo = [job for job in jobs if not store.is_done(job.key)]
    if not todo:
        return 0
    ray = import_ray()
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), unit="run", disable=not progress,
               desc="runs (ray)", dynamic_ncols=True)
    root_text = str(Path(root).resolve())
    notice = (f"stopping: no new task is submitted; running ones get {grace:g} s to finish "
              "(press Ctrl-C again to cancel them now)")
    started = False
    running: dict = {}
    try:
        with stop_on_signals(grace, notice) as stop:
            try:
                started = _init(ray, address, workers)
                slots = max(1, int(ray.cluster_resources().get("CPU", workers)))
                remote = ray.remote(num_cpus=1, max_retries=0)(run_and_store)
                ran = 0
                queue, waiting = deque(todo), []
                while queue or running or waiting:
                    if stop.requested and not running:
                        stop.check()
                    while queue and len(running) < slots and not stop.requested:
                        job = queue.popleft()
                        running[remote.remote(job, root_text, threads)] = job
                    if not running:
                        if waiting and not stop.requested:
                            queue.extend(take_back_free(waiting, store, bar))
                        continue
                    finished, _ = ray.wait(list(running), num_returns=1, timeout=POLL_SECONDS)
                    for ref in finished:
                        job = running.pop(ref)
                        ran += count_outcome(ray.get(ref), job, bar, waiting)  # re-raises its error
                return ran
            except BaseException:
                stop.ending()
                for ref in running:
                    ray.cancel(ref, force=True)
                if running:  # wait until the cancelled tasks' workers are gone
                    ray.wait(list(running), num_returns=len(running), timeout=30)
                raise
    finally:
        bar.close()
        if started:
            ray.shutdown()
        if running:
            store.remove_partial_files()
