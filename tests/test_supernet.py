"""XNAS supernet mode: the supernets, the XNAS reward, wipeout skipping and the runner path.

Tiny supernets (C = 4, one cell per stage / 3 DARTS cells) and a fake CIFAR-10 folder keep the
whole file to seconds on 2 CPU cores.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import benchmarks  # noqa: E402
from harness import run  # noqa: E402
from harness.datasets import cifar10  # noqa: E402
from harness.results import ResultsStore  # noqa: E402
from optimizers.xnas.supernet.darts import DartsSupernet  # noqa: E402
from optimizers.xnas.supernet.nb201 import NB201Supernet  # noqa: E402
from optimizers.xnas.supernet.runner import COLUMNS  # noqa: E402
from optimizers.xnas.supernet.search import xnas_rewards  # noqa: E402


@pytest.fixture(scope="module")
def fake_cifar(tmp_path_factory):
    root = tmp_path_factory.mktemp("cifar")
    folder = root / cifar10.FOLDER
    folder.mkdir()
    for i, name in enumerate((*cifar10.TRAIN_FILES, cifar10.TEST_FILE)):
        rng = np.random.default_rng(i)
        batch = {"data": rng.integers(0, 256, size=(8, 3072), dtype=np.uint8),
                 "labels": rng.integers(0, 10, size=8).tolist()}
        with open(folder / name, "wb") as handle:
            pickle.dump(batch, handle, protocol=2)
    return root


def _tiny_nb201(seed=0):
    torch.manual_seed(seed)
    return NB201Supernet(10, channels=4, cells_per_stage=1)


def test_one_hot_supernet_is_the_discrete_network():
    from benchmarks.networks.nb201 import TinyNetwork

    net = _tiny_nb201().eval()
    arch = [3, 1, 0, 2, 4, 3]
    weights = torch.zeros(6, 5)
    weights[range(6), arch] = 1.0
    tiny = TinyNetwork(arch, 10, channels=4, cells_per_stage=1).eval()
    tiny.load_state_dict(net.discrete_state_dict(arch), strict=True)  # same names and shapes
    x = torch.randn(3, 3, 32, 32)
    assert torch.equal(net(x, weights), tiny(x))
    # the default supernet's chosen-op parameters are exactly the benchmark network's
    full = NB201Supernet()
    state = full.discrete_state_dict(arch)
    reference = TinyNetwork(arch, 10).state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        k: tuple(v.shape) for k, v in reference.items()}


def test_reward_is_minus_the_gradient_and_rewards_helpful_ops():
    net = _tiny_nb201().double().eval()
    x, y = torch.randn(4, 3, 32, 32, dtype=torch.float64), torch.randint(0, 10, (4,))
    p = np.full((6, 5), 0.2)
    # huge bound: no clipping, so the reward is minus the gradient of the shared weights: the
    # sum over the replicas of each replica's own gradient (computed here one by one)
    rewards, loss, _ = xnas_rewards(net.float(), x.float(), y, {"cell": p}, bound=1e9)
    net = net.double()
    replicas = net.cell_types["cell"][0]
    assert replicas == 3
    per_replica = torch.tensor(np.repeat(p[None], replicas, axis=0), requires_grad=True)
    grad, = torch.autograd.grad(torch.nn.functional.cross_entropy(net(x, per_replica), y),
                                per_replica)
    assert not np.allclose(grad[0].numpy(), grad[1].numpy())  # replicas see different inputs
    np.testing.assert_allclose(rewards["cell"], -grad.sum(dim=0).numpy(), rtol=1e-3, atol=1e-6)
    # sign convention: raising the weight of an op that lowers the loss earns a positive reward
    h = 1e-4
    for edge, op in [(0, 3), (5, 2), (3, 1)]:
        up, down = p.copy(), p.copy()
        up[edge, op] += h
        down[edge, op] -= h
        with torch.no_grad():
            losses = [torch.nn.functional.cross_entropy(net(x, torch.tensor(w)), y).item()
                      for w in (up, down)]
        slope = (losses[0] - losses[1]) / (2 * h)
        assert np.sign(rewards["cell"][edge, op]) == -np.sign(slope)
        assert rewards["cell"][edge, op] == pytest.approx(-slope, rel=1e-3, abs=1e-6)
    # clipping bounds the reward
    clipped, _, _ = xnas_rewards(net.float(), x.float(), y, {"cell": p}, bound=1e-6)
    assert np.abs(clipped["cell"]).max() <= 1e-6
    assert np.all(rewards["cell"][:, 0] == 0)  # 'none' contributes nothing: zero reward


@pytest.mark.parametrize("sampled", [0, 1, 3])  # none, skip_connect, nor_conv_3x3
def test_gdas_edge_gives_unsampled_ops_the_official_gradient(sampled):
    """GDAS's forward_gdas: the sampled op runs, every other op joins the sum as its hard weight
    (0 in value), so its weight's gradient is sum(dL/d out); the sampled op's is <dL/d out,
    op(x)>, 0 for none. Without ``passive`` the unsampled weights get no gradient at all."""
    from benchmarks.networks.nb201 import make_op
    from benchmarks.spaces.nb201 import OPS
    from optimizers.xnas.supernet.mixing import mixed_output

    torch.manual_seed(0)
    ops = torch.nn.ModuleList(make_op(name, 4) for name in OPS)
    x, upstream = torch.randn(2, 4, 5, 5), torch.randn(2, 4, 5, 5)
    for passive in (True, False):
        weights = torch.zeros(len(OPS))
        weights[sampled] = 1.0
        weights.requires_grad_()
        out = mixed_output(ops, x, weights, [sampled], OPS.index("none"), passive)
        if out is None:  # only 'none' sampled, official gradient off: nothing runs
            assert not passive and sampled == OPS.index("none")
            continue
        assert out.shape == x.shape
        (out * upstream).sum().backward()
        idle = [i for i in range(len(OPS)) if i != sampled]
        expected_idle = float(upstream.sum()) if passive else 0.0
        torch.testing.assert_close(weights.grad[idle], torch.full((4,), expected_idle))
        expected = float((upstream * ops[sampled](x)).sum().detach())
        torch.testing.assert_close(weights.grad[sampled], torch.tensor(expected))


def test_wiped_out_experts_are_skipped():
    net = _tiny_nb201()
    weights = torch.full((6, 5), 0.25)
    weights[:, 3] = 0.0  # nor_conv_3x3 wiped out on every edge
    loss = net(torch.randn(2, 3, 32, 32), weights).sum()
    loss.backward()
    for cell in net.cells:
        if hasattr(cell, "edges"):
            for edge in cell.edges:
                assert all(p.grad is None for p in edge.ops[3].parameters())
                assert all(p.grad is not None for p in edge.ops[2].parameters())


def test_darts_supernet_discretizes_to_a_genotype_nb301_answers():
    torch.manual_seed(0)
    net = DartsSupernet(10, channels=4, layers=3)
    assert net.cell_types == {"normal": (1, 14, 8), "reduce": (2, 14, 8)}
    assert DartsSupernet().cell_types == {"normal": (6, 14, 8), "reduce": (2, 14, 8)}
    weights = {"normal": torch.full((14, 8), 1 / 8), "reduce": torch.full((14, 8), 1 / 8)}
    assert net(torch.randn(2, 3, 32, 32), weights).shape == (2, 10)
    rng = np.random.default_rng(0)
    mixing = {n: rng.random((14, 8)) for n in ("normal", "reduce")}
    mixing["normal"][:, 0] = 10.0  # 'none' strongest everywhere: still ignored
    arch = net.discretize(mixing)
    bench = benchmarks.load("nb301-cifar10")
    assert bench.space.is_valid(arch[None, :])[0]
    assert np.isfinite(bench.query(arch[None, :], bench.objective)).all()
    # node 0 keeps both of its inputs; each op is the strongest non-'none' op of its edge
    compact = bench.space.to_compact(arch)
    assert [src for src, _ in compact[0][:2]] == [0, 1]
    assert compact[0][0][1] == int(mixing["normal"][0, 1:].argmax())


def _run(tmp_path, fake_cifar, optimizer, bench="nb201-cifar10", extra=()):
    out = tmp_path / "out"
    code = run.main(["--optimizer", optimizer, "--bench", bench, "--supernet", "--data-dir",
                     str(fake_cifar), "--epochs", "1", "--train-images", "16", "--batch-size",
                     "4", "--channels", "4", "--cells", "1" if bench.startswith("nb201") else "3",
                     "--out", str(out), *extra])
    assert code == 0
    return ResultsStore(out)


@pytest.mark.slow
def test_one_epoch_of_each_method_through_the_runner(tmp_path, fake_cifar):
    store = _run(tmp_path, fake_cifar, "xnas,darts,gdas")
    space = benchmarks.load("nb201-cifar10").space
    for method in ("xnas", "darts", "gdas"):
        table, manifest = store.read(f"nb201-cifar10/{method}/seed-0000")
        assert table.column_names == list(COLUMNS) and table.num_rows == 1
        row = table.to_pylist()[0]
        space.from_string(row["arch"])  # a valid NB201 arch string
        assert 0 < row["bench_test_acc"] <= 100
        assert manifest["final"]["arch"] == row["arch"]
        assert len(manifest["diagnostics"]["mixing_weights"]) == 2  # initial + 1 epoch
        assert manifest["data"]["files"][0]["bytes"] > 0
    _, manifest = store.read("nb201-cifar10/xnas/seed-0000")
    diagnostics = manifest["diagnostics"]
    assert np.array(diagnostics["wipeout_step"]).shape == (6, 5)
    # T = the updates applied: 1 epoch x 2 validation batches (not x batch x replicas)
    assert diagnostics["horizon_steps"] == diagnostics["steps"] == 2
    assert diagnostics["eta"]["cell"] == pytest.approx(math.sqrt(2 * math.log(5) / 2))


@pytest.mark.slow
def test_xnas_same_seed_same_result(tmp_path, fake_cifar):
    first = _run(tmp_path / "a", fake_cifar, "xnas").read("nb201-cifar10/xnas/seed-0000")
    second = _run(tmp_path / "b", fake_cifar, "xnas").read("nb201-cifar10/xnas/seed-0000")
    drop = ["seconds", "cum_seconds"]
    assert first[0].drop_columns(drop).equals(second[0].drop_columns(drop))
    assert (first[1]["diagnostics"]["mixing_weights"]
            == second[1]["diagnostics"]["mixing_weights"])


@pytest.mark.slow
def test_darts_space_search_through_the_runner(tmp_path, fake_cifar):
    store = _run(tmp_path, fake_cifar, "xnas", bench="nb301-cifar10")
    table, manifest = store.read("nb301-cifar10/xnas/seed-0000")
    benchmarks.load("nb301-cifar10").space.from_string(table.to_pylist()[0]["arch"])
    assert manifest["final"]["bench_test_acc"] is None  # the surrogate has no test metric
    assert set(manifest["diagnostics"]["eta"]) == {"normal", "reduce"}


@pytest.mark.parametrize("argv, message", [
    (["--optimizer", "darts", "--bench", "nb201-cifar10"], "--supernet"),
    (["--optimizer", "xnas", "--bench", "nb201-cifar10", "--epochs", "2"], "--supernet"),
    (["--optimizer", "rs", "--bench", "nb201-cifar10", "--supernet", "--data-dir", "x"],
     "accepted: xnas, darts, gdas"),
    (["--optimizer", "xnas", "--bench", "nb201-cifar100", "--supernet", "--data-dir", "x"],
     "accepted: nb201-cifar10, nb301-cifar10"),
    (["--optimizer", "xnas", "--bench", "nb201-cifar10", "--supernet", "--budget", "10",
      "--data-dir", "x"], "--budget"),
    (["--optimizer", "xnas", "--bench", "nb201-cifar10", "--supernet"], "--data-dir"),
])
def test_bad_combinations_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run.main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_stops_a_supernet_search_cleanly(tmp_path, fake_cifar):
    """A search of many epochs, stopped by Ctrl-C once it has claimed its job: exit 130 within
    the grace period, one line, no traceback, no temporary file, nothing recorded as done."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.run", "--optimizer", "xnas", "--bench", "nb201-cifar10",
         "--supernet", "--data-dir", str(fake_cifar), "--epochs", "100000", "--train-images",
         "16", "--batch-size", "4", "--channels", "4", "--cells", "1", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    claim = ResultsStore(out).claim_path("nb201-cifar10/xnas/seed-0000")
    deadline = time.monotonic() + 120
    while not claim.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)  # into the training loop
    os.killpg(proc.pid, signal.SIGINT)
    stopped = time.monotonic()
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert time.monotonic() - stopped < 20  # the 10 s grace, then the search is ended
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "interrupted: 0 of 1 supernet runs done; rerun the same command to resume")
    assert not list(out.rglob("*.tmp")) and not list(out.rglob("*.parquet"))


def _teacher_problem(seed: int, steps: int, teacher_op: int | None):
    """A controlled toy problem on real modules: a tiny NB201 supernet (3 cells sharing the
    mixing weights) with frozen weights, whose labels come from the same network with
    ``teacher_op`` on every edge (random labels when None), so that op is the clearly better
    expert on every edge; XNAS runs ``steps`` updates on fresh batches. Returns the core and
    the mixture before the last update."""
    from optimizers.xnas.supernet.search import SupernetConfig, XNASMethod

    torch.manual_seed(seed)
    net = NB201Supernet(10, channels=4, cells_per_stage=1).eval()
    with torch.no_grad():
        net.classifier.weight.mul_(10.0)  # a confident teacher: labels far from ties
    for parameter in net.parameters():
        parameter.requires_grad_(False)
    teacher = torch.zeros(6, 5)
    if teacher_op is not None:
        teacher[:, teacher_op] = 1.0
    method = XNASMethod(net, SupernetConfig(), steps)
    generator = torch.Generator().manual_seed(seed)
    before_last = None
    for step in range(steps):
        x = torch.randn(32, 3, 8, 8, generator=generator)
        with torch.no_grad():
            y = (net(x, teacher).argmax(1) if teacher_op is not None
                 else torch.randint(0, 10, (32,), generator=generator))
        if step == steps - 1:
            before_last = method.mixing()["cell"]
        method.arch_step(net, x, y, False, 0)
    return method.core, before_last


def test_xnas_concentrates_on_the_better_op_and_wipes_out_early():
    """(a) skip_connect is the teacher's op: XNAS's mixture concentrates on it on every edge,
    and the other experts are wiped out before the final step. The control (random labels,
    same network and batches) picks no single op everywhere, so the test is not a bias of the
    network towards skip_connect. The earlier averaged-replica reward with T counting samples
    and replicas moved the log-weights by ~1e-3 and wiped nothing before the last step."""
    from benchmarks.spaces.nb201 import OPS

    skip, steps = OPS.index("skip_connect"), 40
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is faster on a loaded machine
    try:
        core, before_last = _teacher_problem(1, steps, skip)
        control, _ = _teacher_problem(1, steps, None)
    finally:
        torch.set_num_threads(threads)
    assert (core.strongest() == skip).all()
    assert (before_last[:, skip] > 0.9).all()  # concentrated before the last update
    wiped = core.wipeout_steps[:, [i for i in range(5) if i != skip]]
    assert ((wiped > 0) & (wiped < steps)).all()  # every loser out before the final step
    # the theory's guarantee on the way (Lemma 1): the leader is never wiped out
    assert core.alive[:, skip].all()
    assert not (control.strongest() == skip).all()


def test_mixing_weights_in_the_manifest_move(tmp_path, fake_cifar):
    """(b) The per-epoch mixing weights recorded in the manifest move by a real amount: the
    log-weight of some expert changes by more than 0.1 in one epoch of 2 updates (eta =
    sqrt(2 ln 5 / 4) = 0.90 over 2 epochs). With the earlier reward (replica mean, T = steps x
    batch x replicas) the same run moved them about 10x less."""
    store = _run(tmp_path, fake_cifar, "xnas", extra=("--epochs", "2"))
    _, manifest = store.read("nb201-cifar10/xnas/seed-0000")
    history = [np.array(epoch["cell"]) for epoch in manifest["diagnostics"]["mixing_weights"]]
    assert len(history) == 3  # initial + 2 epochs
    assert manifest["diagnostics"]["eta"]["cell"] == pytest.approx(math.sqrt(2 * math.log(5) / 4))
    first, second = history[0], history[1]
    assert (second > 0).all()  # nothing wiped out half-way
    # differences of log p within an edge are differences of log-weights
    gaps = [np.log(p) - np.log(p.max(axis=1, keepdims=True)) for p in (first, second)]
    moved = np.abs(gaps[1] - gaps[0]).max()
    assert moved > 0.1, moved


def test_the_supernet_folder_names_its_settings_but_not_its_seeds():
    from optimizers.xnas.supernet.cli import default_name

    config = {"optimizers": ["xnas"], "benchmarks": ["nb201-cifar10"], "epochs": 50,
              "batch_size": 64, "train_images": None, "channels": None, "cells": None,
              "device": "cpu", "seeds": 3}
    assert default_name(config) == "supernet_xnas_nb201-cifar10_50ep"
    small = config | {"epochs": 1, "batch_size": 4, "train_images": 16, "channels": 4,
                      "cells": 1, "device": "cuda", "seeds": 10}
    assert default_name(small) == "supernet_xnas_nb201-cifar10_1ep_bs4_16img_C4_N1_cuda"
