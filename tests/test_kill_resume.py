"""Kill the runner with SIGKILL mid-grid, rerun it, and compare with an uninterrupted run."""

import os
import re
import signal
import subprocess
import sys
import time

from harness.results import ResultsStore

GRID = ["--optimizer", "rs", "--bench", "nb201-cifar10,nb201-cifar100,nb201-imagenet16-120",
        "--seeds", "40", "--budget", "150", "--no-progress", "--no-per-seed"]
N_JOBS = 3 * 40


def run(out, workers, kill_after_files=None):
    cmd = [sys.executable, "-m", "harness.run", *GRID, "--out", str(out), "-j", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    if kill_after_files is None:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr.decode()
        return stdout.decode()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(out.glob("*/*/*.parquet"))) >= kill_after_files:
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the runner finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the runner and its workers, without warning
    proc.wait()
    return None


def test_sigkill_then_rerun_gives_the_uninterrupted_results(tmp_path):
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    run(reference, workers=1)
    run(killed, workers=2, kill_after_files=N_JOBS // 4)
    done_before = len(list(killed.glob("*/*/*.parquet")))
    assert 0 < done_before < N_JOBS
    printed = run(killed, workers=2)
    executed, skipped = map(int, re.search(r"(\d+) run\(s\) executed, (\d+) already done",
                                           printed).groups())
    # workers orphaned by the kill may have finished a few more before the rerun looked
    assert executed + skipped == N_JOBS and skipped >= done_before and executed > 0
    ref_store, store = ResultsStore(reference), ResultsStore(killed)
    keys = list(ref_store.job_keys())
    assert len(keys) == N_JOBS and list(store.job_keys()) == keys
    assert not list(killed.glob("*/*/.*.tmp"))
    for key in keys:
        ref_table, ref_manifest = ref_store.read(key)
        table, manifest = store.read(key)
        assert table.equals(ref_table), key
        ref_manifest.pop("wall_seconds")
        manifest.pop("wall_seconds")
        assert manifest == ref_manifest, key
