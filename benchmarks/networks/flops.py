"""FLOPs of a torch network by forward hooks, in the two conventions the NAS literature uses.

- ``"xautodl"``: NAS-Bench-201 / NATS-Bench's own count (xautodl ``utils/flop_benchmark.py``,
  ``get_model_infos``): multiply-adds of ``Conv2d`` (``k_h*k_w*c_in/groups*c_out`` per output
  position, plus ``c_out`` per position with a bias) and ``Linear`` (``in*out``, plus ``out``
  with a bias). Nothing else is counted. This is the ``flop`` the benchmark publishes.
- ``"tensorwatch"``: what NASLib's ``get_model_stats`` (``tensorwatch.ModelStats``, its torchstat
  port ``model_graph/torchstat/compute_flops.py``) reports, and hence NAS-Bench-Suite-Zero's
  ``flops`` proxy: convs as above; ``Linear`` ``in*out`` without the bias; affine ``BatchNorm2d``
  2 per input element; ``ReLU`` 1 per element; ``AvgPool2d``/``MaxPool2d`` ``k*k`` per output
  element; ``AdaptiveAvgPool2d`` ``(y_end-y_start+1)*(x_end-x_start+1)`` per output element
  and channel (for a global pool over ``h x w``: ``(h+1)*(w+1)``).

Both count one image (the input's batch is divided out) and return MFLOPs (count / 1e6). The
closed forms in ``nb201_cost`` are tested against this counter on real networks.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

CONVENTIONS = ("xautodl", "tensorwatch")


def _conv(module: nn.Conv2d, out: torch.Tensor, with_bias: bool) -> int:
    k_h, k_w = module.kernel_size
    positions = out.shape[0] * out.shape[2] * out.shape[3]
    macs = k_h * k_w * module.in_channels // module.groups * module.out_channels * positions
    if with_bias and module.bias is not None:
        macs += module.out_channels * positions
    return macs


def _adaptive_pool(inp: torch.Tensor, out: torch.Tensor) -> int:
    batch, planes, height, width = inp.shape
    total = 0
    for i in range(out.shape[2]):
        y0 = math.floor(i * height / out.shape[2])
        y1 = math.ceil((i + 1) * height / out.shape[2])
        for j in range(out.shape[3]):
            x0 = math.floor(j * width / out.shape[3])
            x1 = math.ceil((j + 1) * width / out.shape[3])
            total += batch * planes * (y1 - y0 + 1) * (x1 - x0 + 1)
    return total


def _module_flops(module: nn.Module, inp: torch.Tensor, out: torch.Tensor, convention: str) -> int:
    if isinstance(module, nn.Conv2d):
        return _conv(module, out, with_bias=True)
    if isinstance(module, nn.Linear):
        macs = inp.shape[0] * module.in_features * module.out_features
        if convention == "xautodl" and module.bias is not None:
            macs += inp.shape[0] * module.out_features
        return macs
    if convention == "xautodl":
        return 0
    if isinstance(module, nn.BatchNorm2d):
        return inp.numel() * (2 if module.affine else 1)
    if isinstance(module, nn.ReLU | nn.ReLU6 | nn.PReLU | nn.ELU | nn.LeakyReLU):
        return inp.numel()
    if isinstance(module, nn.AvgPool2d | nn.MaxPool2d):
        k = module.kernel_size
        k_h, k_w = (k, k) if isinstance(k, int) else k
        return out.numel() * k_h * k_w
    if isinstance(module, nn.AdaptiveAvgPool2d | nn.AdaptiveMaxPool2d):
        return _adaptive_pool(inp, out)
    return 0


def count_flops(
    net: nn.Module, input_shape: Sequence[int], convention: str = "xautodl"
) -> float:
    """MFLOPs of one forward pass of ``net`` on an input of ``input_shape`` (C, H, W) per image.

    Hooks go on leaf modules; a module run twice is counted twice (it never is in NB201).
    """
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown FLOP convention {convention!r}; accepted: {CONVENTIONS}")
    total = 0
    leaves = [m for m in net.modules() if not list(m.children())]

    def hook(module, inputs, output):
        nonlocal total
        total += _module_flops(module, inputs[0], output, convention)

    handles = [m.register_forward_hook(hook) for m in leaves]
    was_training = net.training
    try:
        net.eval()
        with torch.no_grad():
            net(torch.zeros(1, *input_shape))
    finally:
        for handle in handles:
            handle.remove()
        net.train(was_training)
    return total / 1e6
