"""Weight-sharing search on a supernet: XNAS, and DARTS (first order) and GDAS as baselines on
the same supernet code (principle "XNAS has one core and two reward sources").

Every step alternates, as first-order DARTS does (Liu et al. 2019, Algorithm 1 with xi = 0):
the network weights take an SGD step on a batch of the training half, then the architecture
takes a step on a batch of the validation half.

- **XNAS** (Nayman et al., NeurIPS 2019, Algorithm 1): the mixing weights ``p`` are the core's
  normalized expert weights, one (edges, ops) block per cell type, shared by every replica of
  that type (NB201: 15 cells; DARTS: 6 normal, 2 reduce). For the validation batch each block
  enters the network as one leaf tensor, so autograd sums the replicas' gradients, as DARTS,
  xautodl and archai do for their shared alphas, and the reward of expert i of edge e is
  ``R = -dL_val / dp_{e,i}`` (= ``-sum over replicas of grad_x L . f_i(x)``, the paper's eq. 5
  for an edge output ``sum_i p_i f_i``), clipped to [-L, L], then one ``XNASCore.step``
  (exponentiated gradient + wipeout). ``L_val`` is the batch's mean cross-entropy. One
  validation batch is one round, so the core's horizon is T = epochs x validation batches, the
  number of updates applied, in both the learning rate and the wipeout (``core``'s docstring
  derives why). The difference from the paper: its CIFAR-10 example counts T as validation
  images x epochs x cells (one round per image and per replica, a far smaller rate); here
  the batch's mean loss and the replicas' summed gradient make one reward of one round. An
  earlier version averaged per-replica rewards while counting replicas in T: its updates were
  about 15x too small on NB201 (log-weights moved by about 0.003 on the README's command, as a
  review measured).
- **DARTS** (first order): ``p = softmax(alpha)``, alpha by Adam on the validation loss
  (lr 3e-4, betas (0.5, 0.999), weight decay 1e-3: ``train_search.py``).
- **GDAS** (Dong & Yang, CVPR 2019): each forward samples one op per edge by Gumbel-softmax with
  a straight-through hard one-hot (only the sampled op runs), shared by the cells of a type, as
  the official code does; tau anneals linearly from 10 to 0.1 over the epochs; alpha by Adam
  with DARTS's settings. As in the official ``forward_gdas``, each non-sampled op's hard weight
  (0 in value) still joins the edge's sum, which hands its alpha the gradient
  ``sum(dL / d edge output)`` (``mixing.mixed_output``, ``passive=True``).

The weight step: SGD momentum 0.9, lr 0.025 cosine-annealed to 0.001 over the epochs, weight
decay 3e-4, gradient norm clipped at 5 (DARTS's search settings, also XNAS's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from optimizers.xnas.core import XNASCore

METHODS: tuple[str, ...] = ("xnas", "darts", "gdas")


@dataclass(frozen=True)
class SupernetConfig:
    """Defaults: DARTS's search settings (Liu et al. 2019, section 3.1.1 and its code), GDAS's
    tau range (Dong & Yang 2019, section 4), XNAS's L = 1 and zeta = 1 (Algorithm 1)."""

    epochs: int = 50
    batch_size: int = 64
    lr: float = 0.025
    lr_min: float = 0.001
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0
    arch_lr: float = 3e-4
    arch_betas: tuple[float, float] = (0.5, 0.999)
    arch_weight_decay: float = 1e-3
    tau_max: float = 10.0
    tau_min: float = 0.1
    bound: float = 1.0
    zeta: float = 1.0

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs}, "
                             f"{self.batch_size}")


def xnas_rewards(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                 p: dict[str, np.ndarray], bound: float, autocast: bool = False
                 ) -> tuple[dict[str, np.ndarray], torch.Tensor, torch.Tensor]:
    """Per cell type the reward (edges, ops): ``-dL/dp`` of the type's shared mixing weights
    (autograd sums its replicas' gradients), clipped to [-bound, bound]; also the loss and the
    logits."""
    device = x.device
    leaves = {name: torch.as_tensor(p[name], dtype=torch.float32, device=device)
              .clone().requires_grad_(True) for name in model.cell_types}
    with torch.autocast(device.type, dtype=torch.bfloat16, enabled=autocast):
        logits = model(x, leaves)
        loss = functional.cross_entropy(logits.float(), y)
    names = list(leaves)
    grads = torch.autograd.grad(loss, [leaves[n] for n in names], allow_unused=True)
    rewards = {}
    for name, grad in zip(names, grads, strict=True):
        g = torch.zeros_like(leaves[name]) if grad is None else grad
        rewards[name] = (-g).clamp(-bound, bound).double().cpu().numpy()
    return rewards, loss.detach(), logits.detach()


class XNASMethod:
    """The XNAS core over the supernet's cell types, forecasters in (type, edge) order."""

    name = "xnas"

    def __init__(self, model: nn.Module, config: SupernetConfig, steps: int) -> None:
        self.types = model.cell_types
        groups = []
        for name, (_, edges, _) in self.types.items():
            groups += [name] * edges
        n_ops = {ops for _, _, ops in self.types.values()}.pop()
        self.config = config
        # T = steps: one update per validation batch (module docstring)
        self.core = XNASCore(n_experts=n_ops, groups=groups, horizon_steps=steps,
                             bound=config.bound, zeta=config.zeta)

    def mixing(self) -> dict[str, np.ndarray]:
        p, out, start = self.core.probabilities(), {}, 0
        for name, (_, edges, _) in self.types.items():
            out[name] = p[start:start + edges]
            start += edges
        return out

    def train_weights(self, device: torch.device) -> dict[str, torch.Tensor]:
        return {n: torch.as_tensor(w, dtype=torch.float32, device=device)
                for n, w in self.mixing().items()}

    def arch_step(self, model, x, y, autocast: bool, epoch: int) -> tuple[float, float]:
        rewards, loss, logits = xnas_rewards(model, x, y, self.mixing(), self.config.bound,
                                             autocast)
        if self.core.t < self.core.horizon_steps:
            self.core.step(np.concatenate([rewards[n] for n in self.types]))
        return float(loss), float((logits.argmax(1) == y).float().mean())

    def diagnostics(self) -> dict:
        return {"wipeout_step": self.core.wipeout_steps.tolist(),
                "eta": {g: float(e) for g, e in self.core.eta_by_group.items()},
                "steps": self.core.t, "horizon_steps": self.core.horizon_steps}


class GradientMethod:
    """DARTS (softmax) or GDAS (Gumbel hard sampling): alpha per cell type, Adam on the
    validation loss."""

    def __init__(self, name: str, model: nn.Module, config: SupernetConfig,
                 generator: torch.Generator, device: torch.device) -> None:
        self.name, self.config, self.generator = name, config, generator
        self.types = model.cell_types
        # DARTS initialises alpha as 1e-3 * N(0, 1) (model_search.py); GDAS likewise.
        self.alpha = {
            n: (1e-3 * torch.randn(edges, ops, generator=generator)).to(device).requires_grad_()
            for n, (_, edges, ops) in self.types.items()
        }
        self.optimizer = torch.optim.Adam(list(self.alpha.values()), lr=config.arch_lr,
                                          betas=config.arch_betas,
                                          weight_decay=config.arch_weight_decay)
        self.tau = config.tau_max

    def set_epoch(self, epoch: int) -> None:
        span = max(self.config.epochs - 1, 1)
        self.tau = self.config.tau_max - (self.config.tau_max - self.config.tau_min) * epoch / span

    def mixing(self) -> dict[str, np.ndarray]:
        return {n: functional.softmax(a.detach(), dim=-1).double().cpu().numpy()
                for n, a in self.alpha.items()}

    def _weights(self) -> dict[str, torch.Tensor]:
        if self.name == "darts":
            return {n: functional.softmax(a, dim=-1) for n, a in self.alpha.items()}
        out = {}
        for n, a in self.alpha.items():  # GDAS's get_gumbel_prob, straight-through
            u = torch.rand(a.shape, generator=self.generator).to(a.device)
            gumbels = -torch.log(-torch.log(u.clamp_min(1e-20)).clamp_min(1e-20))
            logits = (functional.log_softmax(a, dim=-1) + gumbels) / self.tau
            probs = functional.softmax(logits, dim=-1)
            hard = torch.zeros_like(probs).scatter_(-1, probs.argmax(-1, keepdim=True), 1.0)
            out[n] = hard - probs.detach() + probs  # exactly 0 off the sampled op
        return out

    def train_weights(self, device: torch.device) -> dict[str, torch.Tensor]:
        return {n: w.detach() for n, w in self._weights().items()}

    def arch_step(self, model, x, y, autocast: bool, epoch: int) -> tuple[float, float]:
        self.optimizer.zero_grad(set_to_none=True)
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=autocast):
            logits = model(x, self._weights(), passive=self.name == "gdas")
            loss = functional.cross_entropy(logits.float(), y)
        loss.backward()
        self.optimizer.step()
        return float(loss.detach()), float((logits.argmax(1) == y).float().mean())

    def diagnostics(self) -> dict:
        return {"tau_final": self.tau}


def make_method(name: str, model: nn.Module, config: SupernetConfig, steps: int,
                generator: torch.Generator, device: torch.device):
    if name == "xnas":
        return XNASMethod(model, config, steps)
    if name in ("darts", "gdas"):
        return GradientMethod(name, model, config, generator, device)
    raise ValueError(f"unknown supernet method {name!r}; accepted: {', '.join(METHODS)}")


def cosine_lr(config: SupernetConfig, epoch: int) -> float:
    """``CosineAnnealingLR(T_max=epochs, eta_min=lr_min)`` at ``epoch`` (0-based)."""
    return config.lr_min + (config.lr - config.lr_min) * (
        1 + math.cos(math.pi * epoch / config.epochs)) / 2


def weight_step(model, optimizer, weights, x, y, config: SupernetConfig,
                autocast: bool) -> tuple[float, float]:
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=autocast):
        logits = model(x, weights)
        loss = functional.cross_entropy(logits.float(), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
    optimizer.step()
    return float(loss.detach()), float((logits.argmax(1) == y).float().mean())
