"""The NB201 network built from the space: parameters and FLOPs against the published values.

Closed forms (``benchmarks.networks.nb201_cost``, numpy only) are checked against the benchmark
for every arch and against the published FLOPs; the torch network (skipped without torch) is
checked against the closed forms.
"""

from __future__ import annotations

import bz2
import json
import pickle

import numpy as np
import pytest

import benchmarks
from benchmarks.build.zerocost import nb201_from_naslib
from benchmarks.networks import nb201_cost
from benchmarks.spaces.nb201 import OPS

DATASETS = ("cifar10", "cifar100", "imagenet16-120")
NASLIB_KEYS = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet16-120": "ImageNet16-120"}
# One conv edge in all 15 cells: 5 cells x (16, 32, 64 channels) x (k*k*c*c + 2c).
CONV1X1_EDGE = 5 * sum(c * c + 2 * c for c in (16, 32, 64))  # 28,000
CONV3X3_EDGE = 5 * sum(9 * c * c + 2 * c for c in (16, 32, 64))  # 243,040
# Archs whose published params are not the network's (identical on all three datasets).
N_PARAMS_MISMATCH = 150


@pytest.fixture(scope="module")
def all_archs():
    return benchmarks.load("nb201-cifar10").all_archs()


@pytest.mark.parametrize("dataset", DATASETS)
def test_params_equal_the_benchmark_for_all_but_150_archs(all_archs, dataset):
    table = benchmarks.load(f"nb201-{dataset}").query(all_archs, "params")
    ours = nb201_cost.params(all_archs, dataset)
    mismatch = np.flatnonzero(ours != table)
    assert (ours == table).sum() == 15_625 - N_PARAMS_MISMATCH
    assert mismatch.size == N_PARAMS_MISMATCH
    # Each mismatch is exactly one conv edge more or fewer than the arch string has.
    diff = np.round((table[mismatch] - ours[mismatch]) * 1e6).astype(int)
    assert set(np.abs(diff)) == {CONV1X1_EDGE, CONV3X3_EDGE}
    reference = benchmarks.load("nb201-cifar10").query(all_archs, "params")
    cifar10_mismatch = np.flatnonzero(nb201_cost.params(all_archs) != reference)
    np.testing.assert_array_equal(mismatch, cifar10_mismatch)


def test_the_150_are_archs_whose_seeds_disagree_in_the_public_record(shared_data, all_archs):
    """An older NB201 file stores params averaged over an arch's seeds: for every mismatch the
    average mixes our count with the table's, so the record itself differs between seeds."""
    import pandas as pd

    old = pd.read_csv(shared_data / "nb201" / "sources" / "naswot_arch_score_acc.csv")
    space = benchmarks.load("nb201-cifar10").space
    rows = np.array([space.to_index(space.from_string(s)) for s in old["cellstr"]])
    seed_mean = np.full(15_625, np.nan)
    seed_mean[rows] = old["params"].to_numpy()
    table = benchmarks.load("nb201-cifar10").query(all_archs, "params")
    ours = nb201_cost.params(all_archs)
    mismatch = np.flatnonzero(ours != table)
    for i in mismatch:
        mixes = [(k * ours[i] + m * table[i]) / (k + m) for k in (1, 2) for m in (1, 2)]
        assert np.isclose(mixes, seed_mean[i], atol=2e-6).any(), i


def _official_records(shared_data):
    for record_id in ("000000", "000011", "000284"):
        with bz2.open(shared_data / "nb201" / "official_format" / f"{record_id}.pickle.pbz2") as f:
            yield int(record_id), pickle.load(f)  # noqa: S301 - public test fixture


def test_flops_and_params_equal_the_official_records(shared_data):
    space = benchmarks.load("nb201-cifar10").space
    official = {"cifar10-valid": "cifar10", "cifar10": "cifar10", "cifar100": "cifar100",
                "ImageNet16-120": "imagenet16-120"}
    checked = 0
    for row, record in _official_records(shared_data):
        arch = space.from_index(row)
        for hp in ("12", "200"):
            for (name, _seed), run in record[hp]["all_results"].items():
                dataset = official[name]
                assert run["flop"] == nb201_cost.flops(arch, dataset)[0]
                assert run["params"] == nb201_cost.params(arch, dataset)[0]
                checked += 1
    assert checked >= 3 * 4 * 2
    assert nb201_cost.flops(space.from_index(0), "cifar10")[0] == 15.64737


@pytest.mark.parametrize("dataset", DATASETS)
def test_flops_equal_nas_bench_suite_zero_exactly(shared_data, dataset):
    path = shared_data / "naslib_suite_zero" / "zc_nasbench201_725.json"
    records = json.loads(path.read_text())[NASLIB_KEYS[dataset]]
    archs = np.stack([nb201_from_naslib(key) for key in records])
    flops = np.array([r["flops"]["score"] for r in records.values()])
    params = np.array([r["params"]["score"] for r in records.values()])
    assert len(archs) == (724 if dataset == "imagenet16-120" else 725)
    np.testing.assert_array_equal(nb201_cost.flops(archs, dataset, "tensorwatch"), flops)
    np.testing.assert_array_equal(nb201_cost.params(archs, dataset), params)
    # The benchmark's own convention counts conv/linear multiply-adds only: always fewer.
    assert (nb201_cost.flops(archs, dataset) < flops).all()


def test_closed_forms_reject_bad_input():
    with pytest.raises(ValueError, match="unknown NB201 dataset 'imagenet'"):
        nb201_cost.params(np.zeros((1, 6), dtype=int), "imagenet")
    with pytest.raises(ValueError, match="unknown FLOP convention"):
        nb201_cost.flops(np.zeros((1, 6), dtype=int), "cifar10", "thop")
    with pytest.raises(ValueError, match="out of range"):
        nb201_cost.params(np.full((1, 6), 5), "cifar10")


# --- the torch network ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def torch_nb201():
    """The torch module, run with one intra-op thread (tiny inputs: threads only contend)."""
    torch = pytest.importorskip("torch")
    from benchmarks.networks import nb201

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield nb201
    torch.set_num_threads(threads)


@pytest.mark.parametrize("dataset", DATASETS)
def test_torch_parameter_count_equals_the_closed_form(torch_nb201, all_archs, dataset):
    rng = np.random.default_rng(0)
    archs = all_archs[rng.choice(len(all_archs), 50, replace=False)]
    classes = nb201_cost.NUM_CLASSES[dataset]
    counted = [sum(p.numel() for p in torch_nb201.build_network(a, classes).parameters())
               for a in archs]
    np.testing.assert_array_equal(counted, nb201_cost.param_count(archs, dataset))


@pytest.mark.parametrize("convention", ["xautodl", "tensorwatch"])
def test_torch_flops_equal_the_closed_form(torch_nb201, all_archs, convention):
    from benchmarks.networks.flops import count_flops

    rng = np.random.default_rng(1)
    archs = all_archs[rng.choice(len(all_archs), 8, replace=False)]
    archs = np.vstack([archs, np.full(6, OPS.index("avg_pool_3x3")), np.zeros(6, dtype=int)])
    for dataset in DATASETS:
        size = nb201_cost.INPUT_SIZE[dataset]
        for arch in archs:
            net = torch_nb201.build_network(arch, nb201_cost.NUM_CLASSES[dataset])
            assert count_flops(net, (3, size, size), convention) == pytest.approx(
                nb201_cost.flops(arch, dataset, convention)[0], abs=1e-9
            )


def test_network_follows_the_official_layout(torch_nb201):
    import torch

    space = benchmarks.load("nb201-cifar10").space
    net = torch_nb201.build_network(space.from_index(0), 10)  # avg_pool, 1x1, skip, 1x1, skip, skip
    keys = set(net.state_dict())
    # xautodl names: edge 1 of a cell (2<-0) is its second layer; reductions are cells 5 and 11.
    assert {"stem.0.weight", "cells.0.layers.1.op.1.weight", "cells.5.conv_a.op.1.weight",
            "cells.5.downsample.1.weight", "cells.11.conv_b.op.2.bias", "lastact.0.weight",
            "classifier.weight", "classifier.bias"} <= keys
    assert not any(k.startswith("cells.0.layers.0.") for k in keys)  # avg pool: no parameters
    assert len(net.cells) == 17
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert torch_nb201.build_network(space.from_index(0), 120)(torch.zeros(2, 3, 16, 16)).shape == (
        2, 120)


def test_build_network_rejects_bad_archs(torch_nb201):
    with pytest.raises(ValueError, match="vector of 6 ints"):
        torch_nb201.build_network([0, 1, 2], 10)
    with pytest.raises(ValueError, match="out of range"):
        torch_nb201.build_network([0, 1, 2, 3, 4, 5], 10)
    with pytest.raises(ValueError, match="num_classes"):
        torch_nb201.build_network([0, 1, 2, 3, 4, 0], 0)


# --- DARTS (nb301-cifar10): closed forms of benchmarks.networks.darts_cost -------------------
def test_darts_closed_forms_equal_the_suites_725_published_counts():
    """NAS-Bench-Suite-Zero's nb301 ``params`` and ``flops`` (tensorwatch) of all 725 archs."""
    from benchmarks import zerocost
    from benchmarks.networks import darts_cost

    table = zerocost.load("nb301-cifar10")
    assert len(table.archs) == 725
    np.testing.assert_array_equal(darts_cost.param_count(table.archs),
                                  np.round(table.score(table.archs, "params") * 1e6))
    np.testing.assert_array_equal(darts_cost.flop_count(table.archs, convention="tensorwatch"),
                                  np.round(table.score(table.archs, "flops") * 1e6))
    bench = benchmarks.load("nb301-cifar10")
    np.testing.assert_array_equal(bench.query(table.archs, "params"),
                                  darts_cost.param_count(table.archs) / 1e6)
    assert set(bench.free_metrics) == {"params", "flops"}


def test_darts_eval_network_parameters_equal_the_official_nb301_record(shared_data):
    """The official NB301 result file trains a 20-cell, 50-channel network with its auxiliary
    head and records ``model_parameters``; the closed form of that network gives the same."""
    from benchmarks.networks import darts_cost
    from benchmarks.spaces.darts import OPS as DARTS_OPS

    record = json.loads((shared_data / "nb301/official_format/results_0.json").read_text())
    config = record["optimized_hyperparamater_config"]
    prefix = "NetworkSelectorDatasetInfo:darts:"
    first_edge = (0, 2, 5, 9)  # edges of node k + 2 are numbered from first_edge[k], by input
    vector = []
    for cell in ("normal", "reduce"):
        for node in range(4):
            inputs = (0, 1) if node == 0 else sorted(
                int(i) for i in config[f"{prefix}inputs_node_{cell}_{node + 2}"].split("_"))
            for i in inputs:
                op = config[f"{prefix}edge_{cell}_{first_edge[node] + i}"]
                vector += [i, DARTS_OPS.index(op)]
    net = darts_cost.DartsNetwork(channels=config[f"{prefix}init_channels"],
                                  layers=config[f"{prefix}layers"], affine_ops=True,
                                  auxiliary=config[f"{prefix}auxiliary"])
    assert darts_cost.param_count(np.array(vector), net)[0] == record["info"][0][
        "model_parameters"] == 6_369_358


@pytest.mark.parametrize("variant", ["proxy", "eval"])
def test_darts_closed_forms_equal_hooks_on_the_built_network(variant):
    pytest.importorskip("torch")
    from benchmarks.networks import darts_cost, darts_eval
    from benchmarks.networks.flops import count_flops
    from benchmarks.spaces.darts import DartsSpace

    archs = DartsSpace().sample(np.random.default_rng(3), 2)
    for arch in archs:
        if variant == "proxy":
            net, cfg = darts_eval.build_proxy_network(arch), darts_cost.PROXY
        else:  # a small evaluation network (affine ops, auxiliary head) keeps the test fast
            cfg = darts_cost.DartsNetwork(channels=8, layers=5, affine_ops=True, auxiliary=True)
            net = darts_eval.build_network(arch, channels=8, layers=5, auxiliary=True)
        assert sum(p.numel() for p in net.parameters()) == darts_cost.param_count(arch, cfg)[0]
        for convention in darts_cost.CONVENTIONS:
            assert count_flops(net, (3, 32, 32), convention) == pytest.approx(
                darts_cost.flops(arch, cfg, convention)[0], abs=1e-9)


def test_darts_closed_forms_refuse_bad_archs():
    from benchmarks.networks import darts_cost

    with pytest.raises(ValueError, match="shape"):
        darts_cost.params(np.zeros((1, 6), dtype=int))
    with pytest.raises(ValueError, match="FLOP convention 'thop'"):
        darts_cost.flops(np.zeros((1, 32), dtype=int), convention="thop")
