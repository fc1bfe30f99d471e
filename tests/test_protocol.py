"""The NB201 paper protocol preset against the paper's published numbers, and its REA mutation.

Dong & Yang (ICLR 2020), Table 5, CIFAR-10 test accuracy over 500 runs: REA 93.92 ± 0.30,
REINFORCE 93.85 ± 0.37, RS 93.70 ± 0.36 (mean ± std). Our mean over SEEDS seeds must lie within
Z_MAX standard errors of the difference of the two means, sqrt(ours_std² / SEEDS +
published_std² / 500), of the published one (about 0.11 points at 100 seeds, where one published
std, the tolerance this test used to have, is 10 such errors: an REA as weak as the published RS
passed it), and REA must beat RS.
"""

import contextlib
import io
import math

import numpy as np
import pytest

import benchmarks
from benchmarks.spaces.categorical import CategoricalSpace
from benchmarks.spaces.nb201 import EDGES, OPS, NB201Space
from harness import run as run_cli
from harness.oracle import Budget
from harness.results import ResultsStore
from harness.search import Job, run
from harness.summary import final_rows, mean_std_se
from optimizers.regularized_evolution import REConfig, RegularizedEvolution

PUBLISHED = {"rs": (93.70, 0.36), "re": (93.92, 0.30), "reinforce": (93.85, 0.37)}
PUBLISHED_RUNS = 500  # the paper's runs per method, over which its mean and std are taken
SEEDS = 100
Z_MAX = 3.0  # two-sided: p = 0.0027 per method if our mean and the paper's were equal


@pytest.fixture(scope="module")
def paper_run(tmp_path_factory):
    """SEEDS seeds of the preset (about 30 s with -j 2 on the shared 2-core machine)."""
    out = tmp_path_factory.mktemp("paper")
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_cli.main(["--protocol", "nb201-paper", "--seeds", str(SEEDS), "--out",
                             str(out), "-j", "2", "--no-progress", "--no-per-seed"]) == 0
    return out


def z_against_published(out, opt: str) -> tuple[float, str]:
    """Our mean minus the paper's, in standard errors of the difference of the two means."""
    mean, std = PUBLISHED[opt]
    ours = [r["incumbent_test"] for r in final_rows(ResultsStore(out)) if r["optimizer"] == opt]
    assert len(ours) == SEEDS
    our_mean, our_std, _ = mean_std_se(ours)
    z = (our_mean - mean) / math.sqrt(our_std**2 / SEEDS + std**2 / PUBLISHED_RUNS)
    return z, (f"{opt}: ours {our_mean:.3f} ± {our_std:.3f} (n={SEEDS}), published {mean} ± "
               f"{std} (n={PUBLISHED_RUNS}): z = {z:+.2f}")


def test_nb201_paper_protocol_reproduces_published_test_accuracy(paper_run):
    for opt in ("rs", "re"):
        z, message = z_against_published(paper_run, opt)
        assert abs(z) < Z_MAX, message
    means = {opt: mean_std_se([r["incumbent_test"] for r in final_rows(ResultsStore(paper_run))
                               if r["optimizer"] == opt])[0] for opt in ("rs", "re")}
    assert means["re"] > means["rs"]
    _, manifest = ResultsStore(paper_run).read("nb201-cifar10/re/seed-0000")
    assert manifest["job"]["fidelity"] == "hp12"
    assert manifest["oracle"] == {"fidelity": "hp12", "noise": "seed", "objective": "valid_acc",
                                  "served": "mean"}
    assert manifest["job"]["budget"] == {"queries": None, "seconds": 12000.0}
    assert manifest["optimizer_config"] == {"population_size": 10, "sample_size": 3,
                                           "deduplicate": False, "mutation": "node-first"}
    assert manifest["spent"]["seconds"] <= 12000.0
    _, manifest = ResultsStore(paper_run).read("nb201-cifar10/reinforce/seed-0000")
    assert manifest["optimizer_config"]["learning_rate"] == 0.001
    assert manifest["optimizer_config"]["ema_momentum"] == 0.9


@pytest.mark.xfail(strict=True, reason="measured: our REINFORCE is level with RS, 0.10 below "
                   "the paper's (z = -3.5 at 100 seeds, -4.5 at 500); see the README")
def test_reinforce_reproduces_the_published_test_accuracy(paper_run):
    """A known gap, kept visible: strict, so that the day it closes this test fails and the
    mark must go."""
    z, message = z_against_published(paper_run, "reinforce")
    assert abs(z) < Z_MAX, message


# --- the paper's REA mutation -------------------------------------------------------------
N_MUTATIONS = 60_000
# AutoDL-Projects R_EA.py mutate_arch_func: a node uniformly (3), then one of its inputs.
PAPER_EDGE_PROBS = {(1, 0): 1 / 3, (2, 0): 1 / 6, (2, 1): 1 / 6,
                    (3, 0): 1 / 9, (3, 1): 1 / 9, (3, 2): 1 / 9}


def _changed_edges(mutate) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    space = NB201Space()
    parents = space.sample(np.random.default_rng(11), N_MUTATIONS)
    children = mutate(space, parents, np.random.default_rng(12))
    changed = children != parents
    assert (changed.sum(axis=1) == 1).all()  # exactly one edit, to a different op
    return parents, children, changed.argmax(axis=1)


def _within_binomial_band(counts: np.ndarray, probs: np.ndarray) -> None:
    """Each count within 4 binomial standard errors of its expectation (seeded, so this is
    deterministic; a wrong distribution, e.g. uniform 1/6 for edge 1<-0, is off by ~70 SE)."""
    n = counts.sum()
    se = np.sqrt(n * probs * (1 - probs))
    assert (np.abs(counts - n * probs) < 4 * se).all(), (counts / n, probs)


def test_node_first_mutation_picks_edges_as_the_papers_rea() -> None:
    _, _, edges = _changed_edges(lambda s, a, r: s.mutate_node_first(a, r))
    probs = np.array([PAPER_EDGE_PROBS[edge] for edge in EDGES])
    _within_binomial_band(np.bincount(edges, minlength=len(EDGES)), probs)


def test_uniform_mutation_stays_the_default_and_picks_edges_uniformly() -> None:
    assert REConfig().mutation == "uniform"
    _, _, edges = _changed_edges(lambda s, a, r: s.mutate(a, r))
    _within_binomial_band(np.bincount(edges, minlength=len(EDGES)), np.full(len(EDGES), 1 / 6))


def test_node_first_mutation_draws_a_different_op_uniformly() -> None:
    parents, children, edges = _changed_edges(lambda s, a, r: s.mutate_node_first(a, r))
    rows = np.arange(len(edges))
    # The new op, relative to the old one (1..4 steps around the 5 ops), is uniform.
    step = (children[rows, edges] - parents[rows, edges]) % len(OPS)
    _within_binomial_band(np.bincount(step, minlength=len(OPS))[1:], np.full(len(OPS) - 1, 0.25))


def test_re_uses_the_configured_mutation_and_refuses_one_the_space_lacks() -> None:
    space = NB201Space()
    paper = RegularizedEvolution(space, np.random.default_rng(0),
                                 REConfig(mutation="node-first"))
    assert paper._mutate.__func__ is NB201Space.mutate_node_first
    with pytest.raises(ValueError, match="not defined on categorical; accepted there: uniform"):
        RegularizedEvolution(CategoricalSpace([3, 3]), np.random.default_rng(0),
                             REConfig(mutation="node-first"))
    with pytest.raises(ValueError, match="uniform, node-first"):
        REConfig(mutation="paper")


# --- what is served at hp12 ---------------------------------------------------------------
def test_hp12_serves_the_seed_mean_and_the_manifest_says_so() -> None:
    """The paper draws one training seed per query; the public record has only the seed mean
    at hp12, so that is served even with noise='seed', and the manifest records it."""
    bench = benchmarks.load("nb201-cifar10")
    for fidelity, served in (("hp12", "mean"), ("hp200", "seed")):
        table, manifest = run(Job("nb201-cifar10", "rs", 0, budget=Budget(queries=30),
                                  fidelity=fidelity, noise="seed"))
        assert manifest["oracle"]["served"] == served
        archs = np.stack([bench.space.from_string(a) for a in table["arch"].to_pylist()])
        means = bench.query(archs, "valid_acc", fidelity)
        values = np.asarray(table["value"].to_pylist())
        if served == "mean":
            np.testing.assert_array_equal(values, means)
        else:  # one seed's value: differs from the mean for archs with several seeds
            assert (values != means).mean() > 0.5
