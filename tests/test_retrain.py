"""Retraining: crash after an epoch's checkpoint, resume, keep epoch 1 and add epoch 2; bad
arguments exit 2."""

import pickle
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

pytest.importorskip("torch")

from harness import run  # noqa: E402
from harness.retrain import __main__ as cli  # noqa: E402
from harness.retrain import train  # noqa: E402


def _fake_cifar(folder, n=64):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        size = n // 4 if name != "test_batch" else n // 2
        batch = {"data": rng.integers(0, 256, (size, 3072), dtype=np.uint8),
                 "labels": rng.integers(0, 10, size).tolist()}
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle)
    return folder


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp") / "results"
    assert run.main(["--optimizer", "rs", "--bench", "nb201-cifar10", "--seeds", "1",
                     "--budget", "10", "--no-progress", "--out", str(out)]) == 0
    return out


@pytest.mark.slow
def test_crash_after_checkpoint_then_resume(tmp_path, experiment, monkeypatch, capsys):
    data = _fake_cifar(tmp_path / "cifar")
    argv = [str(experiment), "--top", "1", "--bench", "nb201-cifar10", "--data-dir", str(data),
            "--epochs", "2", "--batch-size", "16", "--out", str(tmp_path / "out")]

    def crash(epoch):
        if epoch == 1:
            raise KeyboardInterrupt("killed after the epoch-1 checkpoint")

    monkeypatch.setattr(train, "_after_checkpoint", crash)
    with pytest.raises(KeyboardInterrupt):
        cli.main(argv)
    (folder,) = (tmp_path / "out" / "retrain" / "nb201-cifar10").iterdir()
    first = pq.read_table(folder / "metrics.parquet").to_pylist()
    assert [m["epoch"] for m in first] == [1]
    monkeypatch.undo()
    capsys.readouterr()
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    import torch

    state = torch.load(folder / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 2
    metrics = pq.read_table(folder / "metrics.parquet").to_pylist()
    assert [m["epoch"] for m in metrics] == [1, 2]
    assert metrics[0] == first[0]  # epoch 1 kept as it was
    assert not list(folder.glob(".*.tmp"))
    # the metrics file records which data, hardware and software produced it
    from harness.datasets.cifar10 import files_checksum
    from harness.provenance import versions
    from harness.results import ResultsStore

    _, manifest = ResultsStore(tmp_path / "out" / "retrain").read(
        f"nb201-cifar10/{folder.name}/metrics")
    assert manifest["data_sha256"] == files_checksum(data) and len(manifest["data_sha256"]) == 64
    assert (manifest["train_images"], manifest["test_images"]) == (80, 32)
    assert manifest["versions"]["torch"] == versions()["torch"]
    assert manifest["device"] == "cpu" and manifest["device_name"]
    assert manifest["precision"] == "fp32"  # autocast only on a GPU with native bfloat16
    assert manifest["config"]["epochs"] == 2 and manifest["config"]["seed"] == 0
    # the report sets the retrained accuracy beside the benchmark's, from the store alone
    import benchmarks
    from harness.report.retrain_section import retrain_sections

    heading, _, table = retrain_sections(tmp_path / "out")
    (row,) = table.rows
    bench = benchmarks.load("nb201-cifar10")
    arch = bench.space.from_string(row[1].text)
    assert row[4].text == f"{metrics[-1]['test_acc']:.2f}" and row[3].text == "2"
    assert row[6].text == f"{bench.query(arch, 'test_acc'):.2f}"
    # the final table: the row's numbers, then the arch in full
    assert f"#1: {row[1].text}" in printed and f"{metrics[-1]['test_acc']:.2f}" in printed
    assert row[5].text == f"{bench.query(arch, 'test_acc', fidelity='hp12'):.2f}"


@pytest.mark.parametrize(("bench", "message"), [
    ("nb201-cifar100",
     "not implemented for nb201-cifar100 yet; supported: nb201-cifar10, nb301-cifar10"),
    ("nope", "unknown --bench 'nope'; accepted: nb201-cifar10, nb301-cifar10"),
])
def test_bad_bench_exits_2(tmp_path, experiment, bench, message):
    result = subprocess.run(
        [sys.executable, "-m", "harness.retrain", str(experiment), "--bench", bench,
         "--data-dir", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2 and message in result.stderr


def test_missing_results_folder_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([str(tmp_path / "missing"), "--bench", "nb201-cifar10",
                  "--data-dir", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "not a results folder" in capsys.readouterr().err


@pytest.mark.slow
def test_darts_eval_network_one_epoch(tmp_path):
    """A tiny DARTS evaluation network (C=4, 5 cells) trains one epoch under the DARTS protocol
    (auxiliary head, drop path, cutout, grad clip) with finite metrics and a checkpoint."""
    import torch

    from benchmarks.spaces.darts import DartsSpace
    from harness.datasets.cifar10 import load_cifar10
    from harness.results import ResultsStore

    data = load_cifar10(_fake_cifar(tmp_path / "cifar"))
    space = DartsSpace()
    arch = space.sample(np.random.default_rng(0))
    config = train.DartsTrainConfig(epochs=1, batch_size=16, channels=4, layers=5,
                                    drop_path_prob=0.2)
    folder = tmp_path / "out" / "nb301-cifar10" / "arch"
    store = ResultsStore(tmp_path / "out")
    metrics = train.retrain(arch, space.to_string(arch), data, folder, store,
                            "nb301-cifar10/arch/metrics", config, torch.device("cpu"),
                            {"bench": "nb301-cifar10"}, log=lambda _: None)
    assert [m["epoch"] for m in metrics] == [1]
    assert all(np.isfinite(v) for v in metrics[0].values())
    assert torch.load(folder / "checkpoint.pt", weights_only=True)["epoch"] == 1
    stored = pq.read_table(folder / "metrics.parquet").to_pylist()
    assert [m["epoch"] for m in stored] == [1]


@pytest.mark.slow
@pytest.mark.parametrize("protocol", ["nb201", "darts"])
def test_resumed_run_equals_uninterrupted_run(tmp_path, monkeypatch, protocol):
    """Killed after epoch 1 and resumed, a run ends with the same metrics and weights as one
    never interrupted: the checkpoint holds every state the next epoch draws from (data order,
    augmentation, drop path)."""
    import torch

    from benchmarks.spaces.darts import DartsSpace
    from benchmarks.spaces.nb201 import NB201Space
    from harness.datasets.cifar10 import load_cifar10
    from harness.results import ResultsStore

    data = load_cifar10(_fake_cifar(tmp_path / "cifar"))
    if protocol == "nb201":
        space = NB201Space()
        config = train.TrainConfig(epochs=2, batch_size=16, seed=3)
    else:
        space = DartsSpace()
        config = train.DartsTrainConfig(epochs=2, batch_size=16, channels=4, layers=5, seed=3)
    arch = space.sample(np.random.default_rng(1))
    store = ResultsStore(tmp_path / "out")

    def run_in(name):
        return train.retrain(arch, space.to_string(arch), data, tmp_path / "out" / name, store,
                             f"{name}/arch/metrics", config, torch.device("cpu"), {},
                             log=lambda _: None)

    def crash(epoch):
        raise KeyboardInterrupt(f"killed after epoch {epoch}")

    straight = run_in("straight")
    monkeypatch.setattr(train, "_after_checkpoint", crash)
    with pytest.raises(KeyboardInterrupt):
        run_in("resumed")
    monkeypatch.undo()
    resumed = run_in("resumed")

    def timeless(rows):
        return [{k: v for k, v in r.items() if k not in ("train_seconds", "images_per_second")}
                for r in rows]

    assert [m["epoch"] for m in resumed] == [1, 2]
    assert timeless(resumed) == timeless(straight)
    weights = [torch.load(tmp_path / "out" / name / "checkpoint.pt", weights_only=True)["model"]
               for name in ("straight", "resumed")]
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])


@pytest.mark.slow
def test_ctrl_c_keeps_the_last_checkpoint(tmp_path, experiment):
    import os
    import signal
    import time

    import torch

    data = _fake_cifar(tmp_path / "cifar")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "harness.retrain", str(experiment), "--top", "1", "--bench",
           "nb201-cifar10", "--data-dir", str(data), "--epochs", "1000", "--batch-size", "16",
           "--out", str(out), "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if list(out.glob("retrain/*/*/checkpoint.pt")):
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "interrupted: the last finished epoch of each arch is checkpointed; rerun the same "
        "command to resume")
    (folder,) = out.glob("retrain/nb201-cifar10/*")
    assert not list(folder.glob(".*.tmp"))
    state = torch.load(folder / "checkpoint.pt", weights_only=True)
    stored = pq.read_table(folder / "metrics.parquet").to_pylist()
    assert state["epoch"] >= 1 and [m["epoch"] for m in stored] == list(range(1, state["epoch"]
                                                                              + 1))
