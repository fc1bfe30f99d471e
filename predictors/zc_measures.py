"""Zero-cost proxies on one torch network and one minibatch (needs torch).

Each function scores a freshly initialised network in training mode (BN on batch statistics)
whose ``forward`` returns logits, following the reference implementations that
NAS-Bench-Suite-Zero's scores come from: Abdelfattah et al. 2021, "Zero-Cost Proxies for
Lightweight NAS" (SamsungLabs/zero-cost-nas, ``foresight/pruners/measures``), as vendored in
NASLib (``naslib/predictors/pruners/measures``). A per-weight measure is summed over the weights
of every ``Conv2d`` and ``Linear`` layer, as NASLib's ``find_measures`` does. The functions may
change the network (signs, dtype, hooks, gradients): give each one its own network.

``postprocess`` applies NASLib's ``ZeroCost.query``: a NaN or infinite score becomes -1e8 and
synflow is reported as ``log(score)`` (``-log(-score)`` if negative, 0 stays 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - the PyTorch convention
from torch import nn

FAILED_SCORE = -1e8  # NASLib's ZeroCost.query value for a NaN / infinite score


def _weighted_layers(net: nn.Module) -> list[nn.Module]:
    return [m for m in net.modules() if isinstance(m, nn.Conv2d | nn.Linear)]


def _loss_backward(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> None:
    net.zero_grad()
    F.cross_entropy(net(inputs), targets).backward()


def synflow(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None = None) -> float:
    """SynFlow (Tanaka et al. 2020), data-free: BN layers bypassed, every parameter replaced by
    its absolute value, float64, one all-ones input of the batch's image shape; the score is
    ``sum |w * dR/dw|`` with ``R`` the sum of the logits (NASLib ``synflow``, ``bn=False``)."""
    for module in net.modules():
        if isinstance(module, nn.BatchNorm2d | nn.BatchNorm1d):
            module.forward = _identity  # NASLib's copynet(bn=False): BN.forward = no_op
    net.double()
    with torch.no_grad():
        for tensor in net.state_dict().values():
            tensor.abs_()
    net.zero_grad()
    ones = torch.ones((1, *inputs.shape[1:]), dtype=torch.float64)
    torch.sum(net(ones)).backward()
    return _sum_layers(net, lambda m: (m.weight * m.weight.grad).abs())


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


def _sum_layers(net: nn.Module, metric: Callable[[nn.Module], torch.Tensor]) -> float:
    total = 0.0
    for layer in _weighted_layers(net):
        if layer.weight.grad is not None:
            total += float(metric(layer).detach().sum())
    return total


def snip(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """SNIP (Lee et al. 2019): ``sum |dL/dc|`` for a multiplicative mask ``c = 1`` on each
    weight, i.e. ``sum |w * dL/dw|`` (the same number; NASLib computes it through the mask)."""
    _loss_backward(net, inputs, targets)
    return _sum_layers(net, lambda m: (m.weight * m.weight.grad).abs())


def grad_norm(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Sum over layers of the Euclidean norm of the loss gradient of the layer's weight."""
    _loss_backward(net, inputs, targets)
    return _sum_layers(net, lambda m: m.weight.grad.norm())


def grasp(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """GraSP (Wang et al. 2020) as NASLib scores it: ``sum -w * (H g)``, with ``g`` the loss
    gradient and ``H g`` a Hessian-gradient product (T = 1, one iteration)."""
    layers = _weighted_layers(net)
    weights = [layer.weight for layer in layers]
    net.zero_grad()
    grad_w = torch.autograd.grad(
        F.cross_entropy(net(inputs), targets), weights, allow_unused=True
    )
    grad_f = torch.autograd.grad(
        F.cross_entropy(net(inputs), targets), weights, create_graph=True, allow_unused=True
    )
    z = sum((gw.detach() * gf).sum() for gw, gf in zip(grad_w, grad_f, strict=True)
            if gw is not None and gf is not None)
    z.backward()
    return _sum_layers(net, lambda m: -m.weight.detach() * m.weight.grad)


def fisher(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> float:
    """Fisher (Theis et al. 2018; Turner et al. 2020), per channel of each conv/linear output
    ``a``: ``F_k = 0.5 * mean_n (sum_spatial a * dL/da)^2``. NASLib broadcasts each channel's
    value to the channel's weights before summing, so the score is
    ``sum_layers sum_k F_k * (weights per output channel)``."""
    per_layer: dict[nn.Module, torch.Tensor] = {}

    def forward_hook(layer, _inputs, output):
        # the gradient hook must not capture ``output`` itself: a tensor whose hook refers to
        # it is a reference cycle that keeps every activation of the network alive (measured
        # about 100 MB per NB201 arch, tests/test_zerocost.py)
        act = output.detach()

        def on_grad(grad):
            g = grad.detach()
            g_nk = (act * g).sum(dim=tuple(range(2, act.dim()))) if act.dim() > 2 else act * g
            value = 0.5 * g_nk.pow(2).mean(0)
            per_layer[layer] = per_layer.get(layer, 0) + value

        output.register_hook(on_grad)

    layers = _weighted_layers(net)
    handles = [layer.register_forward_hook(forward_hook) for layer in layers]
    try:
        _loss_backward(net, inputs, targets)
    finally:
        for handle in handles:
            handle.remove()
    total = 0.0
    for layer in layers:
        if layer in per_layer:
            fan = int(np.prod(layer.weight.shape[1:]))
            total += float(per_layer[layer].abs().sum()) * fan
    return total


def jacov(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None = None) -> float:
    """Jacobian covariance, NASWOT v1 (Mellor et al. 2021, arXiv 2006.04647v1): the input
    gradients of the summed logits, one row per image, their correlation matrix's eigenvalues
    ``v``, and ``-sum(log(v + k) + 1 / (v + k))`` with ``k = 1e-5``. (NASLib takes
    ``np.linalg.eig`` of the symmetric matrix; ``eigvalsh`` gives the same, real, values.)"""
    x = inputs.detach().clone().requires_grad_(True)
    net.zero_grad()
    y = net(x)
    y.backward(torch.ones_like(y))
    jacobian = x.grad.detach().reshape(x.shape[0], -1).double().numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        corrs = np.corrcoef(jacobian)
    if not np.isfinite(corrs).all():
        return math.nan  # a constant Jacobian row: NASLib's eig raises and it records NaN
    v = np.linalg.eigvalsh(corrs)
    k = 1e-5
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(-np.sum(np.log(v + k) + 1.0 / (v + k)))


def nwot(net: nn.Module, inputs: torch.Tensor, targets: torch.Tensor | None = None) -> float:
    """NASWOT (Mellor et al. 2021, ICML, v2 of arXiv 2006.04647): for every ReLU, the binary
    code ``c`` of its input units per image; ``K = sum_relus c c^T + (1 - c)(1 - c)^T`` (the
    number of units on which two images agree) and the score is ``log |det K|``."""
    n = inputs.shape[0]
    kernel = np.zeros((n, n))

    def hook(_module, module_inputs, _output):
        codes = (module_inputs[0].detach().reshape(n, -1) > 0).double()
        kernel[:] += (codes @ codes.T + (1.0 - codes) @ (1.0 - codes).T).numpy()

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, nn.ReLU)]
    try:
        with torch.no_grad():
            net(inputs)
    finally:
        for handle in handles:
            handle.remove()
    _sign, logdet = np.linalg.slogdet(kernel)
    return float(logdet)


MEASURES: dict[str, Callable[..., float]] = {
    "synflow": synflow,
    "snip": snip,
    "grasp": grasp,
    "fisher": fisher,
    "grad_norm": grad_norm,
    "jacov": jacov,
    "nwot": nwot,
}


def postprocess(name: str, score: float) -> float:
    """NASLib's ``ZeroCost.query``: NaN/inf -> -1e8; synflow -> signed log."""
    if math.isnan(score) or math.isinf(score):
        score = FAILED_SCORE
    if name == "synflow" and score != 0.0:
        score = math.log(score) if score > 0 else -math.log(-score)
    return float(score)
