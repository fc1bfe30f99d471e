"""The theory of XNAS (Nayman et al. 2019) checked on synthetic reward sequences."""

import math

import numpy as np
import pytest

from harness import search
from harness.oracle import Budget
from optimizers.xnas.core import XNASCore, regret_bound, theoretical_learning_rate

N_EXPERTS, FORECASTERS, T = 8, 300, 400
SEEDS = {"stationary": 0, "drift": 1, "switch": 2}  # one fixed generator seed per sequence kind


def test_learning_rate_of_the_papers_cifar10_example():
    # 25,000 validation images x 50 epochs, L = 1, 8 experts; 6 normal and 2 reduction cells.
    # The paper states the rates to two significant figures.
    normal = theoretical_learning_rate(8, 25_000 * 50 * 6, 1.0)
    reduce = theoretical_learning_rate(8, 25_000 * 50 * 2, 1.0)
    assert normal == pytest.approx(7.5e-4, rel=0.01)
    assert reduce == pytest.approx(1.3e-3, rel=0.01)


def test_core_horizon_is_the_number_of_updates_for_rate_and_wipeout():
    """T = horizon_steps, the step() calls, in eta and in the wipeout threshold alike; groups
    differ only by their expert counts (no per-group sample or replica factor)."""
    core = XNASCore([8] * 4 + [3] * 2, ["normal"] * 2 + ["reduce"] * 2 + ["inputs"] * 2,
                    horizon_steps=50)
    eta8, eta3 = math.sqrt(2 * math.log(8) / 50), math.sqrt(2 * math.log(3) / 50)
    assert core.eta_by_group == pytest.approx({"normal": eta8, "reduce": eta8, "inputs": eta3})
    # Expert 1 loses 1.5 eta L per round against expert 0 (rewards +1 / -0.5): its gap after t
    # rounds is 1.5 eta t, the threshold 2 eta L (T - t) on the same clock, so it goes at the
    # first t > 2T / 3.5 = 28.6, whatever eta.
    core = XNASCore(2, ["cell"], horizon_steps=50)
    for _ in range(50):
        core.step(np.array([[1.0, -0.5]]))
    assert core.wipeout_steps[0, 1] == 29
    assert core.log_weights[0, 0] == pytest.approx(core.eta[0] * 50)


def reward_sequences(rng, kind):
    """(T, F, N) rewards in [-1, 1]: noise around per-expert means, some drifting, some with a
    late leader, so the best expert in hindsight is not obvious early on."""
    means = rng.uniform(-0.3, 0.3, size=(1, FORECASTERS, N_EXPERTS))
    noise = rng.uniform(-1, 1, size=(T, FORECASTERS, N_EXPERTS))
    if kind == "stationary":
        return np.clip(means + 0.7 * noise, -1, 1)
    if kind == "drift":
        trend = np.linspace(-1, 1, T)[:, None, None] * rng.uniform(-0.4, 0.4, means.shape)
        return np.clip(means + trend + 0.6 * noise, -1, 1)
    # "switch": expert 0 is worst for the first 70% of the run and best afterwards
    rewards = np.clip(means + 0.6 * noise, -1, 1)
    cut = int(0.7 * T)
    rewards[:cut, :, 0] = -0.6
    rewards[cut:, :, 0] = 1.0
    return rewards


@pytest.mark.parametrize("kind", ["stationary", "drift", "switch"])
@pytest.mark.parametrize("zeta", [1.0])
def test_lemma1_regret_bound_and_monotone_wipeout(kind, zeta):
    rng = np.random.default_rng(SEEDS[kind])  # fixed: hash() of a str changes per process
    rewards = reward_sequences(rng, kind)
    core = XNASCore(N_EXPERTS, ["cell"] * FORECASTERS, horizon_steps=T, bound=1.0, zeta=zeta)
    learner = np.zeros(FORECASTERS)
    alive_before = core.n_alive.copy()
    for t in range(T):
        p = core.probabilities()
        assert np.allclose(p.sum(axis=1), 1) and (p[~core.alive] == 0).all()
        learner += (p * rewards[t]).sum(axis=1)
        core.step(rewards[t])
        assert (core.n_alive <= alive_before).all()  # live experts never increase
        alive_before = core.n_alive.copy()
    totals = rewards.sum(axis=0)
    best = totals.argmax(axis=1)
    # Lemma 1: the best expert in hindsight is never wiped out.
    assert core.alive[np.arange(FORECASTERS), best].all()
    # Theorem 1: regret <= ln N / eta + eta T L^2 / 2 = L sqrt(2 T ln N).
    regret = totals.max(axis=1) - learner
    bound = regret_bound(N_EXPERTS, T, 1.0, core.eta[0])
    assert bound == pytest.approx(math.sqrt(2 * T * math.log(N_EXPERTS)))
    assert (regret <= bound).all()
    assert regret.max() > 0.05 * bound  # the sequences are not trivial
    assert (core.n_alive == 1).all()  # at t = T only the leader survives the threshold
    assert (core.wipeout_steps[~core.alive] >= 1).all()


def test_wipeout_happens_and_relaxation_wipes_earlier():
    rng = np.random.default_rng(5)
    rewards = reward_sequences(rng, "stationary")
    first = {}
    for zeta in (1.0, 0.25):
        core = XNASCore(N_EXPERTS, ["cell"] * FORECASTERS, horizon_steps=T, zeta=zeta)
        for t in range(T):
            core.step(rewards[t])
        wiped = core.wipeout_steps[core.wipeout_steps > 0]
        first[zeta] = np.median(wiped)
    assert first[0.25] < first[1.0] < T


def test_log_domain_weights_do_not_overflow():
    core = XNASCore(5, ["cell"] * 3, horizon_steps=10_000_000, bound=1.0)
    core.eta[:] = 50.0  # absurdly large steps: exp(eta * sum R) would overflow float64
    for _ in range(100):
        core.step(np.tile([1.0, 0.5, 0.0, -0.5, -1.0], (3, 1)))
    p = core.probabilities()
    assert np.isfinite(p).all() and np.allclose(p[:, 0], 1.0)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="at least 2 experts"):
        theoretical_learning_rate(1, 10)
    with pytest.raises(ValueError, match=r"zeta must be in \(0, 1\]"):
        XNASCore(5, ["cell"], horizon_steps=3, zeta=1.5)
    core = XNASCore(5, ["cell"], horizon_steps=1)
    with pytest.raises(ValueError, match="rewards must have shape"):
        core.step(np.zeros((2, 5)))
    core.step(np.zeros((1, 5)))
    with pytest.raises(RuntimeError, match="horizon of 1 steps is spent"):
        core.step(np.zeros((1, 5)))


@pytest.mark.parametrize("budget, samples", [(150, 10), (150, 4), (37, 5)])
def test_benchmark_mode_eta_uses_the_number_of_updates_applied(budget, samples):
    """One update per samples_per_step queries: T = budget // K, and eta = sqrt(2 ln 5 / T) on
    NB201 (L = 1). Counting every sample (T = budget) made eta sqrt(K) too small."""
    job = search.Job("nb201-cifar10", "xnas", seed=3, budget=Budget(queries=budget),
                     config=(("samples_per_step", samples),))
    table, manifest = search.run(job)
    diag = manifest["diagnostics"]
    updates = budget // samples
    assert table.num_rows == budget  # the leftover queries are spent too
    assert diag["steps"] == diag["horizon_steps"] == updates
    assert len(diag["probabilities"]) == updates + 1  # the initial mixture, then one per update
    assert diag["eta"]["cell"] == pytest.approx(math.sqrt(2 * math.log(5) / updates))


def test_benchmark_mode_counts_every_sample_and_recommends_the_discretized_mixture():
    table, manifest = search.run(search.Job("nb201-cifar10", "xnas", seed=0,
                                            budget=Budget(queries=150)))
    assert table.num_rows == 150
    diag = manifest["diagnostics"]
    assert diag["steps"] == diag["horizon_steps"] == 15
    final = np.array(diag["probabilities"][-1])
    assert final.shape == (6, 5)
    strongest = final.argmax(axis=1)
    from benchmarks.spaces.nb201 import OPS
    assert manifest["final"]["incumbent"].count("~") == 6
    ops = [tok.split("~")[0] for tok in manifest["final"]["incumbent"].replace("+", "|").split("|")
           if tok]
    assert ops == [OPS[i] for i in strongest]
    with pytest.raises(ValueError, match="xnas needs its horizon"):
        search.run(search.Job("nb201-cifar10", "xnas", seed=0, budget=Budget(seconds=1e5)))


@pytest.mark.parametrize("bench_name", ["nb301-cifar10", "tnb101-macro-jigsaw", "nb201-cifar10"])
def test_mixture_usage_probabilities_are_exact(bench_name):
    """E[chosen / probability] = 1 for every expert: the importance weights are unbiased."""
    import benchmarks
    from optimizers.xnas.mixtures import mixture_for

    space = benchmarks.load(bench_name).space
    mixture = mixture_for(space)
    rng = np.random.default_rng(0)
    n_max = int(mixture.expert_counts.max())
    live = np.arange(n_max)[None, :] < mixture.expert_counts[:, None]
    logits = np.where(live, rng.normal(size=live.shape), -np.inf)
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    archs = np.stack([mixture.sample(p, rng) for _ in range(4000)])
    assert space.is_valid(archs).all()
    chosen, probability = mixture.usage(archs, p)
    if bench_name.startswith("tnb101-macro"):
        return  # rejection sampling to the valid set changes the law; validity is what counts
    # Each expert's use count is Binomial(M, probability): within 5 standard deviations.
    m = len(archs)
    counts, expected = chosen.sum(axis=0)[live], m * probability[live]
    sd = np.sqrt(expected * (1 - probability[live]))
    assert (np.abs(counts - expected) <= 5 * sd + 1).all()
    assert np.corrcoef(counts, expected)[0, 1] > 0.99
    assert space.is_valid(mixture.discretize(p)[None, :]).all()


def test_xnas_runs_on_the_darts_space():
    table, manifest = search.run(search.Job("nb301-cifar10", "xnas", seed=1,
                                            budget=Budget(queries=40)))
    assert table.num_rows == 40
    assert set(manifest["diagnostics"]["eta"]) >= {"normal/op", "reduce/op", "normal/inputs3"}
    assert manifest["diagnostics"]["eta"]["normal/inputs0"] == 0.0  # one pair: nothing to learn
    assert manifest["final"]["incumbent"].startswith("Genotype(normal=[")
