"""Zero-cost proxies as predictors: synflow, snip, grasp, fisher, grad_norm, jacov, nwot,
params, flops (Abdelfattah et al. 2021, "Zero-Cost Proxies for Lightweight NAS"; Mellor et al.
2021; NAS-Bench-Suite-Zero, Krishnakumar et al. 2022).

No training: ``requires_fit = False``, and ``predict`` scores each arch, higher meaning
"predicted better". Scores come from one of two sources (constructor argument ``zc_source``):

- ``"compute"`` (default): the network the search space builds (``benchmarks.networks``, or a
  builder the caller passes as ``info["network"]``: ``arch -> torch module``) is initialised
  with ``torch.manual_seed`` from a seed drawn once from the predictor's ``rng`` (so an arch's
  score does not depend on the other archs of the call, and the caller's torch RNG is left
  alone), and scored on one minibatch ``info["batch"] = (inputs, targets)`` (e.g.
  ``harness.datasets.cifar10.load_cifar10(dir).minibatch(64, rng)``) by
  ``predictors.zc_measures``, with NASLib's post-processing (synflow as a log; a NaN or infinite
  score becomes -1e8). ``params`` (millions) and ``flops`` (MFLOPs of one image, in the
  xautodl convention; ``flops_convention="tensorwatch"`` gives NAS-Bench-Suite-Zero's numbers)
  need no data: closed forms of the arch for NB201, counts on the built network otherwise.
  Networks exist for the NB201 benchmarks and nb301-cifar10; for the latter it is the 8-cell,
  C=32 network NAS-Bench-Suite-Zero scored (``darts_eval.build_proxy_network``), whose
  parameter and tensorwatch FLOP counts equal the suite's for all of its 725 archs.
- ``"precomputed"``: NAS-Bench-Suite-Zero's published scores (``benchmarks.zerocost``), exactly
  as stored, for the archs it covers (725 per NB201 dataset and for nb301); other archs raise
  ``MissingScoreError``.

Batch size: NAS-Bench-Suite-Zero scored 32 images (its NB201 jacov scores lie just below -32,
and jacov cannot exceed minus the batch size); nwot and jacov grow with the batch, so compare
computed and precomputed scores by rank, or use 32 images. On 50 of their NB201-cifar10 archs
our scores rank like theirs: Spearman 0.92 (jacov) to 0.999 (synflow) between the two, grasp
excepted (about 0.6: it changes with the initialisation; tests/test_zerocost.py checks synflow
and nwot).

``benchmark`` names the task the scores are for (its dataset fixes the classifier's classes and
the input size, and it keys the precomputed tables), e.g. ``"nb201-cifar100"``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from predictors.base import Predictor

SOURCES = ("compute", "precomputed")
CIFAR10_BENCHMARKS = ("nb201-cifar10", "nb301-cifar10")
# benchmarks whose networks can be built and scored: benchmark -> (search space, dataset)
COMPUTABLE = {
    "nb201-cifar10": ("nb201", "cifar10"),
    "nb201-cifar100": ("nb201", "cifar100"),
    "nb201-imagenet16-120": ("nb201", "imagenet16-120"),
    "nb301-cifar10": ("darts", "cifar10"),
}


class ZeroCostPredictor(Predictor):
    """One zero-cost proxy; subclasses set ``name`` (the proxy) and ``needs``."""

    needs: ClassVar[frozenset[str]] = frozenset({"network", "data"})
    requires_fit: ClassVar[bool] = False

    @classmethod
    def needs_with(cls, options: dict) -> frozenset[str]:
        # Precomputed scores need no network and no data, but exist for some archs only.
        precomputed = options.get("zc_source") == "precomputed"
        return frozenset({"precomputed"}) if precomputed else cls.needs

    def __init__(
        self,
        space: Any,
        rng: np.random.Generator | None = None,
        benchmark: str = "nb201-cifar10",
        zc_source: str = "compute",
    ) -> None:
        super().__init__(space, rng)
        if zc_source not in SOURCES:
            raise ValueError(f"unknown zc_source {zc_source!r}; accepted: {', '.join(SOURCES)}")
        self.benchmark = benchmark
        self.zc_source = zc_source
        # Drawn once: every arch's network is initialised from the same seed.
        self.torch_seed = int(self.rng.integers(2**31 - 1))

    def predict(self, archs: np.ndarray, info: dict | None = None) -> np.ndarray:
        archs = np.atleast_2d(self.space.validate(archs))
        if self.zc_source == "precomputed":
            from benchmarks import zerocost

            return zerocost.load(self.benchmark).score(archs, self.name)
        return self._compute(archs, info or {})

    # --- compute ------------------------------------------------------------------------
    def _dataset(self) -> str:
        space, dataset = COMPUTABLE.get(self.benchmark, (None, None))
        if dataset is None or getattr(self.space, "name", None) != space:
            raise ValueError(
                f"computing {self.name} needs a network for benchmark {self.benchmark!r} in "
                f"space {getattr(self.space, 'name', '?')!r}; networks exist for: "
                f"{', '.join(COMPUTABLE)} (use zc_source='precomputed' for others)"
            )
        return dataset

    def _builder(self, info: dict):
        if info.get("network") is not None:
            return info["network"]
        from benchmarks.networks import builder
        from benchmarks.networks.nb201_cost import NUM_CLASSES

        classes = NUM_CLASSES[self._dataset()]  # first: its error names what is computable
        build = builder(self.space.name)
        return lambda arch: build(arch, classes)

    def _batch(self, info: dict):
        import torch

        batch = info.get("batch")
        if batch is None:
            raise ValueError(
                f"{self.name} needs one minibatch of real data: pass info['batch'] = (inputs, "
                "targets), e.g. harness.datasets.cifar10.load_cifar10(data_dir).minibatch(64, "
                "rng)"
            )
        inputs, targets = batch
        return torch.as_tensor(inputs, dtype=torch.float32), torch.as_tensor(targets).long()

    def _compute(self, archs: np.ndarray, info: dict) -> np.ndarray:
        import torch

        from predictors import zc_measures

        build = self._builder(info)
        inputs, targets = self._batch(info)
        measure = zc_measures.MEASURES[self.name]
        scores = np.empty(len(archs))
        for i, arch in enumerate(archs):
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.torch_seed)
                net = build(arch)
                net.train()
                raw = measure(net, inputs, targets)
            scores[i] = zc_measures.postprocess(self.name, raw)
        return scores


# --- information builders for predictors.evaluate.INFO_BUILDERS ------------------------------
def network_info(bench: Any, archs: np.ndarray, args: Any) -> dict:
    """``INFO_BUILDERS["network"]``: nothing to add, the predictors build each arch's network
    from the benchmark's space themselves; raises if that space has no network builder."""
    from benchmarks.networks import builder

    builder(bench.space.name)
    return {}


def data_info_builder(data_dir: str, batch_size: int = 64):
    """``INFO_BUILDERS["data"]`` for the CIFAR-10 folder ``data_dir`` (``--data-dir``): each
    call draws ``batch_size`` training images with the request's generator (``args.rng``), so
    every predictor of a seed scores the same minibatch. Refuses benchmarks on other images."""
    from harness.datasets.cifar10 import load_cifar10

    data = load_cifar10(data_dir)  # read once, when the evaluation starts

    def data_info(bench: Any, archs: np.ndarray, args: Any) -> dict:
        if bench.name not in CIFAR10_BENCHMARKS:
            raise ValueError(
                f"only CIFAR-10 images can be read (harness.datasets.cifar10); {bench.name} "
                f"needs its own dataset. Benchmarks on CIFAR-10: {', '.join(CIFAR10_BENCHMARKS)}"
            )
        return {"batch": data.minibatch(batch_size, args.rng)}

    return data_info


class Synflow(ZeroCostPredictor):
    """SynFlow: data-free (an all-ones input); ``info["batch"]`` only sets the input shape,
    and without it the benchmark's image size is used."""

    name = "synflow"
    needs: ClassVar[frozenset[str]] = frozenset({"network"})

    def _batch(self, info: dict):
        import torch

        if info.get("batch") is not None:
            return super()._batch(info)
        from benchmarks.networks.nb201_cost import INPUT_SIZE

        size = INPUT_SIZE[self._dataset()]
        return torch.ones(1, 3, size, size), None


class Snip(ZeroCostPredictor):
    name = "snip"


class Grasp(ZeroCostPredictor):
    name = "grasp"


class Fisher(ZeroCostPredictor):
    name = "fisher"


class GradNorm(ZeroCostPredictor):
    name = "grad_norm"


class Jacov(ZeroCostPredictor):
    name = "jacov"


class Nwot(ZeroCostPredictor):
    name = "nwot"


class _CostProxy(ZeroCostPredictor):
    """Parameters / FLOPs from the arch alone (closed forms, no torch, no data)."""

    needs: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        space: Any,
        rng: np.random.Generator | None = None,
        benchmark: str = "nb201-cifar10",
        zc_source: str = "compute",
        flops_convention: str = "xautodl",
    ) -> None:
        super().__init__(space, rng, benchmark, zc_source)
        from benchmarks.networks.nb201_cost import CONVENTIONS

        if flops_convention not in CONVENTIONS:
            raise ValueError(
                f"unknown flops_convention {flops_convention!r}; accepted: {', '.join(CONVENTIONS)}"
            )
        self.flops_convention = flops_convention

    def _compute(self, archs: np.ndarray, info: dict) -> np.ndarray:
        dataset = self._dataset()
        if self.space.name == "nb201":
            from benchmarks.networks import nb201_cost

            if self.name == "params":
                return nb201_cost.params(archs, dataset)
            return nb201_cost.flops(archs, dataset, self.flops_convention)
        return self._count_on_networks(archs, info, dataset)

    def _count_on_networks(self, archs: np.ndarray, info: dict, dataset: str) -> np.ndarray:
        """Spaces without closed forms: count on the built network (parameters in millions,
        MFLOPs of one image by ``benchmarks.networks.flops``)."""
        from benchmarks.networks.flops import count_flops
        from benchmarks.networks.nb201_cost import INPUT_SIZE

        build, size = self._builder(info), INPUT_SIZE[dataset]
        counts = np.empty(len(archs))
        for i, arch in enumerate(archs):
            net = build(arch)
            counts[i] = (sum(p.numel() for p in net.parameters()) / 1e6 if self.name == "params"
                         else count_flops(net, (3, size, size), self.flops_convention))
        return counts


class Params(_CostProxy):
    name = "params"


class Flops(_CostProxy):
    name = "flops"
