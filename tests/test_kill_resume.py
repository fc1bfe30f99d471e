"""Stop the runner the ways a user and a cluster do (Ctrl-C, SIGTERM, SIGKILL), share one folder
between several runners, and compare every outcome with one uninterrupted run."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness.executor import execute
from harness.oracle import Budget
from harness.results import ResultsStore
from harness.search import Job

GRID = ["--optimizer", "rs", "--bench", "nb201-cifar10,nb201-cifar100,nb201-imagenet16-120",
        "--seeds", "40", "--budget", "150", "--no-progress", "--no-per-seed"]
N_JOBS = 3 * 40
FINISHED = re.compile(r"(\d+) run\(s\) executed, (\d+) already done")
STOPPED = re.compile(r"^interrupted: (\d+) of (\d+) runs done; rerun the same command to resume$")


def start(out, workers):
    cmd = [sys.executable, "-m", "harness.run", *GRID, "--out", str(out), "-j", str(workers)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # its own process group, as in a terminal


def run(out, workers):
    proc = start(out, workers)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    return stdout


def wait_for_files(proc, out, count):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(out.glob("*/*/*.parquet"))) >= count:
            return
        time.sleep(0.01)
    assert proc.poll() is None, "the runner finished before it could be stopped"


def session_members(sid):
    """Live processes of session ``sid``, whatever their process group (read from /proc: psutil
    is not a dependency)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # it ended while we looked
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # field 6 of stat: the session
            members.append(int(stat.parent.name))
    return members


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("reference")
    run(out, workers=1)
    return out


def assert_same_results(out, reference):
    ref_store, store = ResultsStore(reference), ResultsStore(out)
    keys = list(ref_store.job_keys())
    assert len(keys) == N_JOBS and list(store.job_keys()) == keys
    assert not list(out.glob("*/*/.*.tmp"))
    for key in keys:
        ref_table, ref_manifest = ref_store.read(key)
        table, manifest = store.read(key)
        assert table.equals(ref_table), key
        for execution in ("wall_seconds", "threads"):  # how it ran, not what it found
            ref_manifest.pop(execution, None)
            manifest.pop(execution, None)
        assert manifest == ref_manifest, key


@pytest.mark.slow
def test_sigkill_then_rerun_gives_the_uninterrupted_results(tmp_path, reference):
    killed = tmp_path / "killed"
    proc = start(killed, workers=2)
    wait_for_files(proc, killed, N_JOBS // 4)
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, without warning
    proc.wait()
    done_before = len(list(killed.glob("*/*/*.parquet")))
    assert 0 < done_before < N_JOBS
    executed, skipped = map(int, FINISHED.search(run(killed, workers=2)).groups())
    assert executed + skipped == N_JOBS and skipped >= done_before and executed > 0
    assert_same_results(killed, reference)


@pytest.mark.slow
@pytest.mark.parametrize("how, workers, exit_code", [
    ("ctrl-c", 2, 130), ("ctrl-c, again and again", 2, 130), ("sigterm to the runner", 2, 143),
    ("ctrl-c", 1, 130),
])
def test_a_stopped_grid_exits_cleanly_and_a_rerun_completes_it(tmp_path, reference, how,
                                                               workers, exit_code):
    """Ctrl-C reaches the whole process group, as a terminal sends it; SIGTERM (a cluster's
    scheduler, kill) only the runner, which must end its workers itself."""
    out = tmp_path / "stopped"
    proc = start(out, workers=workers)
    wait_for_files(proc, out, 10)
    if how == "sigterm to the runner":
        os.kill(proc.pid, signal.SIGTERM)
    else:
        os.killpg(proc.pid, signal.SIGINT)
        if how == "ctrl-c, again and again":  # the second ends it at once, later ones are moot
            while proc.poll() is None:
                time.sleep(0.05)
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == exit_code, stderr
    assert "Traceback" not in stderr
    assert session_members(proc.pid) == []  # no worker outlived the runner
    done = len(list(out.glob("*/*/*.parquet")))
    assert STOPPED.match(stderr.strip().splitlines()[-1]).groups() == (str(done), str(N_JOBS))
    assert 0 < done < N_JOBS  # it stopped scheduling: the grid did not run on to the end
    assert not list(out.glob("*/*/.*.tmp"))  # nothing half-written
    executed, skipped = map(int, FINISHED.search(run(out, workers=2)).groups())
    assert (executed, skipped) == (N_JOBS - done, done)
    assert_same_results(out, reference)


def executed_by(proc):
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    return int(FINISHED.search(stdout).group(1))


@pytest.mark.slow
def test_three_runners_on_one_folder_split_the_grid(tmp_path, reference):
    out = tmp_path / "shared"
    runners = [start(out, workers=1) for _ in range(3)]
    executed = [executed_by(proc) for proc in runners]
    assert sum(executed) == N_JOBS  # each job ran exactly once, none was lost
    assert sum(n > 0 for n in executed) >= 2  # they did work side by side
    assert_same_results(out, reference)


@pytest.mark.slow
def test_the_jobs_of_a_killed_runner_are_finished_by_the_others(tmp_path, reference):
    out = tmp_path / "shared"
    runners = [start(out, workers=1) for _ in range(3)]
    wait_for_files(runners[0], out, N_JOBS // 4)
    os.killpg(runners[0].pid, signal.SIGKILL)  # a machine lost mid-job, its claim held
    runners[0].wait()
    executed = [executed_by(proc) for proc in runners[1:]]
    assert sum(executed) < N_JOBS  # the killed runner had done some before it died
    assert_same_results(out, reference)


def test_a_claim_whose_owner_dies_is_taken_over(tmp_path):
    """A job another live process has claimed is left to it; once that process dies (SIGKILL,
    so it cannot let go itself) the claim is free and this runner runs the job."""
    jobs = [Job("nb201-cifar10", "rs", seed=s, budget=Budget(queries=10)) for s in range(3)]
    store = ResultsStore(tmp_path)
    store.claim_path(jobs[1].key).parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; "
         "lock = FileLock(sys.argv[1], timeout=0); lock.acquire(); print('held', flush=True); "
         "time.sleep(600)",
         str(store.claim_path(jobs[1].key))], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline() == "held\n"
    assert store.is_claimed(jobs[1].key)
    killer = threading.Timer(2.0, holder.kill)
    killer.start()
    started = time.monotonic()
    try:
        assert execute(jobs, tmp_path, workers=1, progress=False) == 3
    finally:
        killer.cancel()
        holder.kill()
        holder.wait()
    assert time.monotonic() - started >= 2.0  # it waited for the holder rather than run twice
    assert [store.is_done(job.key) for job in jobs] == [True, True, True]


def test_cleanup_leaves_the_temporary_of_a_live_claim(tmp_path):
    store = ResultsStore(tmp_path)
    key = "nb201-cifar10/rs/seed-0000"
    folder = store.path(key).parent
    folder.mkdir(parents=True)
    partial = folder / ".seed-0000.parquet.abc123.tmp"
    partial.write_bytes(b"half")
    with store.claim(key) as mine:  # a writer at work (here: this process, another fd)
        assert mine
        assert store.remove_partial_files() == 0 and partial.exists()
    assert store.remove_partial_files() == 1 and not partial.exists()


def test_ending_workers_tolerates_a_worker_reaped_behind_its_back():
    """The pool's manager thread can reap a worker between our liveness check and the kill
    (CI once failed with ProcessLookupError there); ending the workers must not raise."""
    import multiprocessing
    from types import SimpleNamespace

    from harness.executor import _end_workers

    worker = multiprocessing.get_context("fork").Process(target=time.sleep, args=(60,))
    worker.start()
    os.kill(worker.pid, signal.SIGKILL)
    os.waitpid(worker.pid, 0)  # reaped by someone else: the Process object still thinks it alive
    assert worker.is_alive()
    pool = SimpleNamespace(_processes={worker.pid: worker}, shutdown=lambda **_: None)
    _end_workers(pool)
