"""``--executor ray`` gives the local executor's results file by file; without Ray, exit 2."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import run
from harness.results import ResultsStore

GRID = ["--optimizer", "rs,re", "--bench", "nb201-cifar10", "--seeds", "3", "--budget", "20",
        "--no-progress", "--no-per-seed"]


@pytest.mark.slow
def test_ray_executor_matches_local_executor(tmp_path):
    pytest.importorskip("ray")
    local, distributed = tmp_path / "local", tmp_path / "ray"
    assert run.main([*GRID, "--out", str(local)]) == 0
    assert run.main([*GRID, "--out", str(distributed), "--executor", "ray", "-j", "2"]) == 0
    ref_store, store = ResultsStore(local), ResultsStore(distributed)
    keys = list(ref_store.job_keys())
    assert len(keys) == 6 and list(store.job_keys()) == keys
    for key in keys:
        ref_table, ref_manifest = ref_store.read(key)
        table, manifest = store.read(key)
        assert table.equals(ref_table), key
        ref_manifest.pop("wall_seconds")
        manifest.pop("wall_seconds")
        assert manifest == ref_manifest, key
    # a rerun skips every done job without starting Ray
    assert run.main([*GRID, "--out", str(distributed), "--executor", "ray"]) == 0


def test_executor_ray_without_ray_exits_2_with_install_command(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes ``import ray`` raise ImportError
    code = run.main([*GRID, "--out", str(tmp_path / "out"), "--executor", "ray"])
    assert code == 2
    err = capsys.readouterr().err
    assert "pip install -e '.[ray]'" in err and "ray>=2.9" in err
    assert not (tmp_path / "out").exists()


def test_address_without_ray_executor_is_refused(tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        run.main([*GRID, "--out", str(tmp_path / "out"), "--address", "auto"])
    assert exit_info.value.code == 2


@pytest.mark.slow
def test_ctrl_c_cancels_the_ray_tasks_and_a_rerun_completes_the_grid(tmp_path):
    """Ctrl-C to the driver's process group (Ray's workers have groups of their own, in the same
    session): exit 130 with one line, no process of the session left, no temporary file; the
    rerun then finishes the grid."""
    pytest.importorskip("ray")
    out = tmp_path / "ray"
    cmd = [sys.executable, "-m", "harness.run", "--optimizer", "rs", "--bench",
           "nb201-cifar10,nb201-cifar100", "--seeds", "40", "--budget", "150", "--no-progress",
           "--no-per-seed", "--out", str(out), "--executor", "ray", "-j", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(out.glob("*/*/*.parquet"))) >= 5:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the grid finished before it could be stopped"
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    done = len(list(out.glob("*/*/*.parquet")))
    assert stderr.strip().splitlines()[-1] == (
        f"interrupted: {done} of 80 runs done; rerun the same command to resume")
    assert done < 80 and not list(out.glob("*/*/.*.tmp"))
    time.sleep(1.0)  # Ray's own processes end right after the driver's shutdown
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == proc.pid and fields[0] != "Z":
            left.append(stat.parent.name)
    assert left == []
    rerun = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    executed, skipped = map(int, re.search(r"(\d+) run\(s\) executed, (\d+) already done",
                                           rerun.stdout).groups())
    assert (executed, skipped) == (80 - done, done)
