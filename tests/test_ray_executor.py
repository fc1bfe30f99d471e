"""``--executor ray`` gives the local executor's results file by file; without Ray, exit 2."""

import sys

import pytest

from harness import run
from harness.results import ResultsStore

GRID = ["--optimizer", "rs,re", "--bench", "nb201-cifar10", "--seeds", "3", "--budget", "20",
        "--no-progress", "--no-per-seed"]


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
