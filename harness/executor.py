"""Run a grid of independent jobs: in this process or in local worker processes.

Each job writes its own result atomically from the process that ran it, so killing the runner
at any moment loses at most the jobs in flight, and a rerun does only what is missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from pathlib import Path

from tqdm import tqdm

from harness import search
from harness.results import ResultsStore


def run_and_store(job: search.Job, root: str) -> str:
    """Run one job and write its result; the unit of work of every executor."""
    table, manifest = search.run(job)
    ResultsStore(root).write(job.key, table, manifest)
    return job.key


def execute(jobs: Sequence[search.Job], root: Path, workers: int = 1, progress: bool = True) -> int:
    """Run the jobs of ``jobs`` that have no result yet; return how many ran."""
    store = ResultsStore(root)
    store.remove_partial_files()
    todo = [job for job in jobs if not store.is_done(job.key)]
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(todo), unit="run", disable=not progress,
               desc="runs", dynamic_ncols=True)
    try:
        if workers <= 1 or len(todo) <= 1:
            for job in todo:
                run_and_store(job, str(root))
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending = {pool.submit(run_and_store, job, str(root)) for job in todo}
                while pending:
                    done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                    for future in done:
                        future.result()  # re-raises a worker's exception here
                        bar.update()
    finally:
        bar.close()
    return len(todo)
