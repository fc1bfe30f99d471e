"""TransNAS-Bench-101: the two spaces, the 192-cell subset, the tables and the harness on them.

The spaces are checked against independent brute force (the macro constraints, edit-distance
neighbours), the tables against the raw public record (every key, every value) when
``../shared`` is present, and the optimizers run unchanged on a micro, a macro and a 192-cell
task.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import benchmarks
from benchmarks.spaces.tnb101 import N_MACRO, N_MICRO, TNB101MacroSpace, TNB101MicroSpace
from benchmarks.tnb101 import MACRO_TASKS, MICRO_TASKS, NAMES, SUBSET_TASKS, TASK_METRICS
from harness import run as run_cli
from harness.oracle import Budget
from harness.search import Job, run

MICRO = TNB101MicroSpace()
MACRO = TNB101MacroSpace()
RAW = "tnb101/tnb101_final_val_all_archs.json"


@pytest.fixture(scope="module")
def raw(shared_data) -> dict[str, dict[str, float]]:
    return json.loads((shared_data / RAW).read_text())


def _subset():
    return benchmarks.load("tnb101-micro-ninapro").space


def _modules(arch) -> tuple[int, ...]:
    return tuple(int(v) for v in arch if v)


def _edit_distance_one(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    if len(long) - len(short) != 1:
        return False
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


# --- spaces ---------------------------------------------------------------------------------
def test_micro_enumerates_4096_cells_and_rows_are_a_bijection() -> None:
    archs = MICRO.enumerate()
    assert archs.shape == (N_MICRO, 6) == (4096, 6)
    assert np.unique(archs, axis=0).shape[0] == 4096
    assert np.array_equal(MICRO.to_index(archs), np.arange(4096))
    assert np.array_equal(MICRO.from_index(np.arange(4096)), archs)
    # Row order is the lexicographic order of NASLib's op tuples.
    assert [tuple(a) for a in archs.tolist()] == list(itertools.product(range(4), repeat=6))


def test_macro_enumerates_the_3256_networks_of_the_official_constraints() -> None:
    brute = sorted(
        seq + (0,) * (6 - len(seq))
        for n in (4, 5, 6)
        for seq in itertools.product((1, 2, 3, 4), repeat=n)
        if 1 <= sum(v in (3, 4) for v in seq) <= 4 and 1 <= sum(v in (2, 4) for v in seq) <= 3
    )
    archs = MACRO.enumerate()
    assert archs.shape == (N_MACRO, 6) == (3256, 6)
    assert [tuple(a) for a in archs.tolist()] == brute
    assert np.array_equal(MACRO.to_index(archs), np.arange(3256))
    assert np.array_equal(MACRO.from_index(np.arange(3256)), archs)
    assert MACRO.is_valid(archs).all()


def test_strings_round_trip_in_both_styles() -> None:
    for space in (MICRO, MACRO):
        archs = space.enumerate()
        for style in ("tnb101", "naslib"):
            strings = space.to_strings(archs, style)
            assert len(set(strings)) == space.size
            back = np.stack([space.from_string(s) for s in strings])
            assert np.array_equal(back, archs)


def test_official_examples_parse_as_the_tnb101_readme_describes() -> None:
    # README of yawen-d/TransNASBench: node1 skip(node0); node2 none(0) + conv1x1(1);
    # node3 conv3x3 from nodes 0, 1, 2.
    cell = MICRO.from_string("64-41414-1_02_333")
    assert cell.tolist() == [1, 0, 2, 3, 3, 3]
    assert [MICRO.ops[o] for o in cell] == [
        "skip_connect", "none", "nor_conv_1x1", "nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3"
    ]
    assert MICRO.from_string("(1, 0, 2, 3, 3, 3)").tolist() == cell.tolist()
    assert MICRO.to_string(cell, "naslib") == "(1, 0, 2, 3, 3, 3)"
    net = MACRO.from_string("64-1234-basic")
    assert net.tolist() == [1, 2, 3, 4, 0, 0]
    assert MACRO.to_string(net) == "64-1234-basic"
    assert MACRO.to_string(net, "naslib") == "(1, 2, 3, 4, 0, 0)"
    # NAS-Bench-Suite-Zero's keys drop NASLib's zero padding; both parse.
    assert MACRO.from_string("(1, 2, 3, 4)").tolist() == net.tolist()


@pytest.mark.parametrize(
    ("space", "bad", "message"),
    [
        (MICRO, "64-41414-1_02_33", "1_02_333"),
        (MICRO, "(1, 0, 2, 3, 3)", "need 6 op digits"),
        (MICRO, "(1, 0, 2, 3, 3, 4)", "accepted range 0..3"),
        (MACRO, "64-1111-basic", "0 resolution halvings"),
        (MACRO, "64-22223-basic", "4 channel doublings"),
        (MACRO, "64-123-basic", "3 modules; accepted: 4 to 6"),
        (MACRO, "(1, 0, 3, 2, 4, 1)", "follows an empty slot"),
        (MACRO, "64-1234", "64-1312-basic"),
    ],
)
def test_bad_strings_are_refused_with_the_reason(space, bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        space.from_string(bad)


def test_validate_names_the_bad_arch_and_is_valid_never_raises() -> None:
    with pytest.raises(ValueError, match=r"\[2, 2, 2, 2, 3, 0\].*4 channel doublings"):
        MACRO.validate(np.array([[1, 2, 3, 4, 0, 0], [2, 2, 2, 2, 3, 0]]))
    with pytest.raises(ValueError, match=r"shape \(6,\) or \(n, 6\)"):
        MACRO.validate(np.array([1, 2, 3, 4]))
    flags = MACRO.is_valid(np.array([[1, 2, 3, 4, 0, 0], [9, 2, 3, 4, 0, 0], [1, 1, 1, 1, 0, 0]]))
    assert flags.tolist() == [True, False, False]


@pytest.mark.parametrize("space", [MICRO, MACRO], ids=["micro", "macro"])
def test_sample_mutate_neighbours_stay_valid(space) -> None:
    rng = np.random.default_rng(0)
    one = space.sample(rng)
    assert one.shape == (6,) and one.dtype == np.int64
    archs = space.sample(rng, 500)
    assert archs.shape == (500, 6) and archs.dtype == np.int64
    assert space.is_valid(archs).all()
    children = space.mutate(archs, rng)
    assert children.shape == archs.shape and space.is_valid(children).all()
    assert (children != archs).any(axis=1).all()
    for parent, child in zip(archs[:50], children[:50], strict=True):
        nbrs = space.neighbours(parent)
        assert space.is_valid(nbrs).all()
        assert not (nbrs == parent).all(axis=1).any()
        assert (nbrs == child).all(axis=1).any()
    assert space.mutate(one, rng).shape == (6,)
    assert space.encode(archs, "onehot").shape[0] == 500


def test_macro_sample_is_uniform_over_the_3256_networks() -> None:
    rows = MACRO.to_index(MACRO.sample(np.random.default_rng(1), 3256 * 50))
    counts = np.bincount(rows, minlength=3256)
    assert counts.min() > 20 and counts.max() < 90  # mean 50, sd ~7


def test_macro_neighbours_are_all_single_edits_of_the_module_sequence() -> None:
    every = [_modules(a) for a in MACRO.enumerate()]
    for row in (0, 1000, 2000, 3255):
        arch = MACRO.from_index(row)
        expected = {s for s in every if _edit_distance_one(_modules(arch), s)}
        assert {_modules(a) for a in MACRO.neighbours(arch)} == expected


def test_micro_neighbours_change_one_edge() -> None:
    arch = MICRO.from_string("64-41414-1_02_333")
    nbrs = MICRO.neighbours(arch)
    assert nbrs.shape == (18, 6)
    assert ((nbrs != arch).sum(axis=1) == 1).all()


def test_subset_space_keeps_every_move_inside_the_192_cells() -> None:
    space = _subset()
    assert space.size == 192 and space.name == "tnb101-micro-192"
    cells = {tuple(a) for a in space.enumerate().tolist()}
    rng = np.random.default_rng(0)
    archs = space.sample(rng, 300)
    assert {tuple(a) for a in archs.tolist()} <= cells
    assert {tuple(a) for a in space.mutate(archs, rng).tolist()} <= cells
    for arch in space.enumerate():
        nbrs = space.neighbours(arch)
        assert len(nbrs) >= 1 and {tuple(a) for a in nbrs.tolist()} <= cells
        dist = (nbrs != arch).sum(axis=1)
        assert len(set(dist.tolist())) == 1 and dist[0] in (1, 2)  # the nearest, all equally
    assert np.array_equal(space.to_index(space.enumerate()), np.arange(192))
    outside = next(a for a in MICRO.enumerate() if tuple(a) not in cells)
    with pytest.raises(ValueError, match="not one of the 192"):
        space.validate(outside)
    assert not space.is_valid(outside[None, :])[0]


# --- benchmarks -----------------------------------------------------------------------------
def test_names_list_nb201_then_every_tnb101_task() -> None:
    names = benchmarks.names()
    expected = [f"tnb101-micro-{t}" for t in MICRO_TASKS] + [
        f"tnb101-macro-{t}" for t in MACRO_TASKS
    ]
    assert list(NAMES) == expected and len(expected) == 17
    assert names[:3] == ["nb201-cifar10", "nb201-cifar100", "nb201-imagenet16-120"]
    start = names.index(expected[0])  # after NB201 (other spaces may sit in between)
    assert start >= 3 and names[start: start + len(expected)] == expected


@pytest.mark.parametrize("name", NAMES)
def test_each_benchmark_has_one_validation_metric_and_no_test_metric(name: str) -> None:
    bench = benchmarks.load(name)
    task = name.split("-", 2)[2]
    assert bench.kind == "tabular" and bench.report_metric is None
    assert bench.objective == TASK_METRICS[task][0]
    assert bench.validation_metrics == (bench.objective,) and list(bench.metrics) == [
        bench.objective
    ]
    assert bench.fidelities == ("final",)
    assert bench.space.size == (192 if task in SUBSET_TASKS else 3256 if "macro" in name
                                else 4096)
    archs = bench.all_archs()
    values = bench.query(archs, bench.objective)
    assert values.shape == (bench.space.size,) and np.isfinite(values).all()
    assert bench.query(archs[5], bench.objective) == values[5]
    assert isinstance(bench.query(archs[5], bench.objective), float)
    assert np.array_equal(bench.cost(archs), np.zeros(len(archs)))
    best, arch = bench.optimum(bench.objective)
    assert best == values.max() and bench.query(arch, bench.objective) == best


def test_metric_names_follow_what_each_task_measures() -> None:
    assert {t: m[0] for t, m in TASK_METRICS.items()} == {
        "class_object": "valid_top1", "class_scene": "valid_top1", "jigsaw": "valid_top1",
        "autoencoder": "valid_ssim", "normal": "valid_ssim",
        "room_layout": "valid_neg_l2_loss", "segmentsemantic": "valid_pixel_acc",
        "ninapro": "valid_top1", "scifar100": "valid_top1", "svhn": "valid_top1",
    }
    bench = benchmarks.load("tnb101-micro-jigsaw")
    with pytest.raises(ValueError, match="accepted: valid_top1"):
        bench.query(bench.all_archs()[:2], "valid_acc")
    with pytest.raises(ValueError, match="accepted: final"):
        bench.query(bench.all_archs()[:2], "valid_top1", fidelity="hp200")


# --- against the raw public record ----------------------------------------------------------
def test_every_key_of_the_record_maps_to_an_arch_with_its_exact_value(raw) -> None:
    for key, entries in raw.items():
        space_kind, task = key.removeprefix("transbench101_").split("/")
        bench = benchmarks.load(f"tnb101-{space_kind}-{task}")
        archs = np.stack([bench.space.from_string(k) for k in entries])
        assert bench.space.is_valid(archs).all()
        rows = bench.space.to_index(archs)
        assert np.unique(rows).size == len(entries) == bench.space.size
        values = bench.query(archs, bench.objective)
        assert np.array_equal(values, np.array(list(entries.values())))
        # the NASLib string of each arch names the same key (the record drops macro padding)
        naslib = bench.space.to_strings(archs, "naslib")
        if space_kind == "macro":
            naslib = [s.replace(", 0", "") for s in naslib]
        assert naslib == list(entries)


@pytest.mark.parametrize("key", ["transbench101_micro/class_scene", "transbench101_macro/jigsaw"])
def test_optimum_matches_the_record(raw, key: str) -> None:
    entries = raw[key]
    best = max(entries.values())
    space_kind, task = key.removeprefix("transbench101_").split("/")
    bench = benchmarks.load(f"tnb101-{space_kind}-{task}")
    winners = [bench.space.from_string(k) for k, v in entries.items() if v == best]
    lowest = min(winners, key=bench.space.to_index)
    value, arch = bench.optimum(bench.objective)
    assert value == best
    assert arch.tolist() == lowest.tolist()


def test_table_facts() -> None:
    """A few numbers of the record, through the public API (they hold without ../shared)."""
    jigsaw = benchmarks.load("tnb101-micro-jigsaw")
    value, arch = jigsaw.optimum("valid_top1")
    assert jigsaw.space.to_string(arch) == "64-41414-3_30_132"
    assert value == pytest.approx(95.3722152709961, abs=1e-9)
    auto = benchmarks.load("tnb101-macro-autoencoder")
    assert auto.query(auto.space.from_string("(1, 3, 1, 2, 4, 1)"), "valid_ssim") == pytest.approx(
        0.5592380166053772, abs=1e-12
    )
    room = benchmarks.load("tnb101-micro-room_layout")
    assert room.query(room.all_archs(), "valid_neg_l2_loss").max() < 0  # minus a loss


# --- the harness on TNB101 ------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["tnb101-micro-jigsaw", "tnb101-macro-class_scene", "tnb101-micro-scifar100"]
)
@pytest.mark.parametrize("optimizer", ["rs", "re", "ls"])
def test_optimizers_run_unchanged(name: str, optimizer: str) -> None:
    bench = benchmarks.load(name)
    table, manifest = run(Job(name, optimizer, 0, Budget(queries=30)))
    assert table.num_rows == 30
    archs = np.stack([bench.space.from_string(s) for s in table["arch"].to_pylist()])
    assert bench.space.is_valid(archs).all()
    assert np.allclose(table["value"].to_numpy(), bench.query(archs, bench.objective))
    assert min(table["incumbent_regret"].to_pylist()) >= 0
    assert table["cum_seconds"].to_pylist()[-1] == 0.0
    assert manifest["oracle"]["objective"] == bench.objective
    assert manifest["final"]["incumbent_test"] is None


def test_a_budget_in_seconds_is_refused() -> None:
    with pytest.raises(ValueError, match="give the budget in queries"):
        run(Job("tnb101-micro-jigsaw", "rs", 0, Budget(seconds=1000.0)))


def test_cli_runs_tnb101(tmp_path, capsys) -> None:
    args = ["--optimizer", "re,ls", "--bench", "tnb101-micro-jigsaw,tnb101-macro-autoencoder",
            "--seeds", "2", "--budget", "30", "--out", str(tmp_path / "y"), "--no-progress"]
    assert run_cli.main(args) == 0
    out = capsys.readouterr().out
    assert "8 run(s) executed" in out
    assert "tnb101-macro-autoencoder ls" in out and "n/a (no test metric)" in out
