"""REINFORCE against the NAS-Bench-201 paper's script, re-run step by step in torch.

The reference below is the update of AutoDL-Projects ``exps/NAS-Bench-201-algos/reinforce.py``
(``Policy``, ``ExponentialMovingAverage``, ``select_action``, ``torch.optim.Adam``) fed with the
archs our optimizer asked and the rewards it was told; our numpy policy must match its logits
after every step. A wrong baseline (updated after the advantage, no bias correction), a wrong
learning rate or a sign error each moves them far beyond the tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

import benchmarks
from benchmarks.spaces.categorical import CategoricalSpace
from benchmarks.spaces.nb201 import EDGES, OPS, NB201Space
from harness.oracle import Observation
from optimizers.reinforce import Reinforce, ReinforceConfig


def _observation(value: float) -> Observation:
    return Observation(value, "valid_acc", "hp12", 0.0, noisy=False)


class _ScriptEMA:
    """``ExponentialMovingAverage`` of the paper's script, verbatim in behaviour."""

    def __init__(self, momentum: float) -> None:
        self.num, self.den, self.momentum = 0.0, 0.0, momentum

    def update(self, value: float) -> None:
        self.num = self.momentum * self.num + (1 - self.momentum) * value
        self.den = self.momentum * self.den + (1 - self.momentum)

    def value(self) -> float:
        return self.num / self.den


@pytest.mark.parametrize("learning_rate", [0.001, 0.5])
def test_updates_equal_the_papers_script_in_torch(learning_rate: float) -> None:
    torch = pytest.importorskip("torch")
    space = NB201Space()
    config = ReinforceConfig(learning_rate=learning_rate)
    opt = Reinforce(space, np.random.default_rng(3), config)
    logits = torch.nn.Parameter(torch.tensor(opt.logits_, dtype=torch.float64))
    adam = torch.optim.Adam([logits], lr=learning_rate)
    baseline = _ScriptEMA(0.9)
    rewards = np.random.default_rng(4)
    for _ in range(40):
        arch = opt.ask()
        reward = float(60 + 30 * rewards.random())
        opt.tell(arch, _observation(reward))
        # The script: log_prob of the sampled ops, baseline updated first, then the step.
        dist = torch.distributions.Categorical(torch.softmax(logits, dim=-1))
        log_prob = dist.log_prob(torch.as_tensor(arch))
        baseline.update(reward)
        loss = (-log_prob * (reward - baseline.value())).sum()
        adam.zero_grad()
        loss.backward()
        adam.step()
        np.testing.assert_allclose(opt.logits_, logits.detach().numpy(), rtol=0, atol=1e-9)
        assert opt.baseline() == pytest.approx(baseline.value(), abs=1e-12)


def test_defaults_are_the_papers_script() -> None:
    config = ReinforceConfig()
    assert (config.learning_rate, config.ema_momentum, config.init_scale) == (0.001, 0.9, 1e-3)
    opt = Reinforce(NB201Space(), np.random.default_rng(0))
    assert opt.logits_.shape == (len(EDGES), len(OPS))
    assert np.abs(opt.logits_).max() < 5e-3  # 1e-3 * N(0, 1)


def test_first_reward_gives_no_update() -> None:
    """The EMA is updated before the advantage, and bias-corrected: the first advantage is 0."""
    opt = Reinforce(NB201Space(), np.random.default_rng(0))
    before = opt.logits_.copy()
    opt.tell(opt.ask(), _observation(80.0))
    np.testing.assert_array_equal(opt.logits_, before)
    assert opt.baseline() == 80.0


def test_policy_learns_a_planted_optimum_and_recommends_the_best_sample() -> None:
    space = NB201Space()
    target = np.array([3, 3, 1, 3, 2, 3])
    opt = Reinforce(space, np.random.default_rng(1), ReinforceConfig(learning_rate=0.1))
    for _ in range(300):
        arch = opt.ask()
        opt.tell(arch, _observation(float((arch == target).sum())))
    probs = opt.probabilities()
    assert (probs.argmax(axis=1) == target).all()
    assert probs[np.arange(len(EDGES)), target].min() > 0.9
    best = int(np.argmax(opt.history_values))
    np.testing.assert_array_equal(opt.recommend(), opt.history_archs[best])


def test_asks_follow_the_policy_and_the_runs_generator() -> None:
    space = CategoricalSpace([2, 3, 4])
    a = Reinforce(space, np.random.default_rng(7))
    b = Reinforce(space, np.random.default_rng(7))
    draws = np.stack([a.ask() for _ in range(6000)])
    np.testing.assert_array_equal(draws, np.stack([b.ask() for _ in range(6000)]))
    for dim, k in enumerate(space.n_choices):
        freq = np.bincount(draws[:, dim], minlength=k) / len(draws)
        assert np.abs(freq - 1 / k).max() < 4 * np.sqrt(0.25 / len(draws))
    assert (draws < space.n_choices).all()


def test_a_space_of_dependent_choices_is_refused() -> None:
    with pytest.raises(ValueError, match="reinforce needs a space of independent categorical"):
        Reinforce(benchmarks.load("nb301-cifar10").space, np.random.default_rng(0))
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        ReinforceConfig(learning_rate=0.0)
