"""Run a grid of independent jobs: in this process or in local worker processes.

Each job is claimed (``ResultsStore.claim``) and writes its own result atomically from the
process that runs it, so several runners can share one results folder, killing a runner at any
moment loses at most the jobs in flight, and a rerun does only what is missing.

At most one job per worker is handed out at a time, so the progress bar moves as each job
finishes, and a stop (Ctrl-C, SIGTERM; ``harness.interrupts``) starts nothing new: running jobs
get ``grace`` seconds to finish, then their workers are ended and their temporaries removed.
Jobs another runner has claimed are waited for at the end: if that runner dies, its claims are
free again and this one runs them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path

from tqdm import tqdm

from harness import search
from harness.interrupts import GRACE_SECONDS, StopRequest, reset_in_worker, stop_on_signals
from harness.results import ResultsStore
from harness.threads import limit_threads, set_threads

RAN, DONE, BUSY = "ran", "done", "busy"  # what happened to a job handed to a worker
POLL_SECONDS = 0.5  # how often jobs claimed by another runner are looked at again


def run_and_store(job: search.Job, root: str, threads: int | None = None) -> str:
    """Claim one job, run it and write its result; the unit of work of every executor.

    Returns ``RAN``, ``DONE`` (another runner finished it meanwhile) or ``BUSY`` (another live
    runner holds its claim). ``threads`` is recorded in the manifest (it may change the last
    bits of a multithreaded computation, never what a job means)."""
    store = ResultsStore(root)
    with store.claim(job.key) as mine:
        if not mine:
            return BUSY
        if store.is_done(job.key):
            return DONE
        store.remove_partial_files(job.key)  # left by a runner that died holding this claim
        table, manifest = search.run(job)
        if threads is not None:
            manifest["threads"] = threads
        store.write(job.key, table, manifest)
    return RAN


def _worker_init(threads: int | None) -> None:
    reset_in_worker()
    if threads is not None:
        set_threads(threads)  # for the worker's life


def execute(jobs: Sequence[search.Job], root: Path, workers: int = 1, progress: bool = True,
            threads: int | None = None, grace: float = GRACE_SECONDS) -> int:
    """Run the jobs of ``jobs`` that have no result yet; return how many ran here.

    Raises ``harness.interrupts.Interrupted`` after a stop, once no worker is left."""
    store = ResultsStore(root)
    store.remove_partial_files()
    todo = [job for job in jobs if not store.is_done(job.key)]
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), unit="run", disable=not progress,
               desc="runs", dynamic_ncols=True)
    notice = (f"stopping: no new run starts; running ones get {grace:g} s to finish "
              "(press Ctrl-C again to end them now)")
    try:
        with stop_on_signals(grace, notice) as stop:
            if workers <= 1 or len(todo) <= 1:
                with limit_threads(threads):
                    return _serial(todo, store, bar, stop, threads)
            return _parallel(todo, store, bar, stop, workers, threads)
    finally:
        bar.close()


def _serial(todo: Sequence[search.Job], store: ResultsStore, bar: tqdm, stop: StopRequest,
            threads: int | None) -> int:
    """In this process; a stop's grace period ends by ``Interrupted`` raised inside the job
    (its claim is released and its temporary removed on the way out)."""
    ran = 0
    queue, waiting = deque(todo), []
    while queue or waiting:
        stop.check()
        if not queue:
            queue.extend(take_back_free(waiting, store, bar))
            continue
        job = queue.popleft()
        status = run_and_store(job, str(store.root), threads)
        ran += count_outcome(status, job, bar, waiting)
    return ran


def _parallel(todo: Sequence[search.Job], store: ResultsStore, bar: tqdm, stop: StopRequest,
              workers: int, threads: int | None) -> int:
    ran = 0
    queue, waiting = deque(todo), []
    running: dict[Future, search.Job] = {}
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_worker_init,
                               initargs=(threads,))
    try:
        while queue or running or waiting:
            if stop.requested and not running:
                stop.check()  # every running job finished within the grace period
            while queue and len(running) < workers and not stop.requested:
                job = queue.popleft()
                running[pool.submit(run_and_store, job, str(store.root), threads)] = job
            if not running:
                if waiting and not stop.requested:
                    queue.extend(take_back_free(waiting, store, bar))
                continue
            finished, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                ran += count_outcome(future.result(), job, bar, waiting)  # re-raises a job's error
        pool.shutdown()
        return ran
    except BaseException:  # Interrupted, a job's error: end the workers, leave nothing behind
        stop.ending()
        _end_workers(pool)
        store.remove_partial_files()
        raise


def count_outcome(status: str, job: search.Job, bar: tqdm, waiting: list) -> int:
    if status == BUSY:
        waiting.append(job)
        return 0
    bar.update()
    return int(status == RAN)


def take_back_free(waiting: list, store: ResultsStore, bar: tqdm,
                sleep: Callable[[float], None] = time.sleep) -> list:
    """Jobs another runner claimed: drop those it finished, return those whose claim is free
    again (that runner died); wait a little first when none is."""
    free = []
    for job in list(waiting):
        if store.is_done(job.key):
            waiting.remove(job)
            bar.update()
        elif not store.is_claimed(job.key):
            waiting.remove(job)
            free.append(job)
    if waiting and not free:
        sleep(POLL_SECONDS)
    return free


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's worker processes and wait for them (so none outlives the runner and
    their claims are released), then shut the pool down."""
    # Python 3.14 has pool.terminate_workers(); before it the processes are only reachable here
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=5)
        if process.is_alive():
            # Process.kill, not os.kill: the pool's manager thread may reap the worker between
            # the check and the signal, and Process.kill ignores a process that is already gone
            process.kill()
            process.join()
    pool.shutdown(wait=False, cancel_futures=True)
