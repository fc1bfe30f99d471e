"""NAS-Bench-301 on CIFAR-10: the DARTS space answered by a surrogate model.

The surrogate is YAHPO Gym's nb301 network (see ``benchmarks/data/nb301/PROVENANCE.md``), run by
onnxruntime: for a DARTS genotype and an epoch (1..98) it predicts the CIFAR-10 validation
accuracy (%) and the training time (s) up to that epoch. NAS-Bench-301 has no test split, so
this benchmark has no test metric (``report_metric = None``) and, over ~10^18 archs, no known
optimum: runs report their incumbent's validation accuracy, and regret as n/a.

``params`` and ``flops`` are free cost metrics (known without training, see
``benchmarks.base.Metric``) of the network NAS-Bench-Suite-Zero counted for every NB301 arch,
computed in closed form (``benchmarks.networks.darts_cost``, ~300,000 archs/s).

Fidelities are ``"epoch1"`` .. ``"epoch98"`` (default ``"epoch98"``, the full schedule);
``check_fidelity`` also takes the epoch as an int. ``train_time`` at a fidelity is the
surrogate's own runtime prediction for that epoch, and ``cost`` is exactly that: the surrogate
predicts the cumulative time for any epoch, so no scaling from the final epoch is needed (its
prediction rises with the epoch on 98.5 % of the consecutive steps over NASLib's 725 archs, not
strictly always).

The surrogate is deterministic: ``rng`` is accepted for the common signature and ignored, so a
query with or without it, alone or in any batch, gives the same number.

``load(name, official_models=DIR)`` answers the same benchmark with the official NB301 surrogate
ensembles instead, for users who downloaded them (``benchmarks.nb301_official``): one fidelity,
``epoch100``, and noise as the official ``with_noise=True``.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache

import numpy as np

from benchmarks.base import Benchmark, Metric
from benchmarks.spaces.darts import CELLS, N_NODES, DartsSpace
from benchmarks.store import DATA_ROOT, DataIntegrityError, TableStore

NAME = "nb301-cifar10"
FOLDER = DATA_ROOT / "nb301"
MODEL_FILE = "surrogate.onnx"
INPUTS_FILE = "inputs.json"
INTRA_OP_THREADS = 2  # a batch of 10^4 archs is done in ~0.3 s; more threads fight -j workers
CHUNK = 8_192  # rows per onnxruntime call: bounds the activations to ~30 MB
OUTPUT_COLUMN = {"valid_acc": 0, "train_time": 1}
SCALAR_CACHE = 65_536  # single-arch answers kept: the oracle asks cost and value of one arch
CURVE_CACHE = 4_096  # single-arch curves (98 x 2 floats) kept: continuations are charged on them


def load(
    name: str = NAME, official_models: str | None = None, official_runtime: str | None = None
) -> Benchmark:
    """``nb301-cifar10`` from YAHPO's surrogate, or, with ``official_models`` (the official
    zip's ``nb_models`` folder, or one accuracy ensemble folder such as ``xgb_v1.0``), from the
    official ensembles; ``official_runtime`` names a runtime ensemble folder explicitly."""
    if official_models is None:
        if official_runtime is not None:
            raise ValueError("official_runtime needs official_models (the accuracy ensemble)")
        return NB301Benchmark(name)
    if name != NAME:
        raise ValueError(f"unknown NB301 benchmark {name!r}; accepted: {NAME}")
    from benchmarks.nb301_official import NB301OfficialBenchmark

    return NB301OfficialBenchmark(name, official_models, official_runtime)


class NB301Benchmark(Benchmark):
    """``nb301-cifar10``: valid_acc and train_time of DARTS genotypes at epoch 1..98."""

    kind = "surrogate"
    report_metric = None
    objective = "valid_acc"
    resumable = True  # epoch k of the one 98-epoch schedule: a paused run resumes

    def __init__(self, name: str = NAME) -> None:
        if name != NAME:
            raise ValueError(f"unknown NB301 benchmark {name!r}; accepted: {NAME}")
        self.name = name
        store = TableStore(FOLDER)
        self.checksum = store.checksum
        tables = json.loads(_checked_bytes(store, INPUTS_FILE))
        self.space = DartsSpace()
        first, last = tables["epochs"]
        self.epochs = range(first, last + 1)
        self.fidelities = tuple(f"epoch{e}" for e in self.epochs)
        self.default_fidelity = self.fidelities[-1]
        split = "NB301 surrogate (YAHPO nb301), CIFAR-10 validation"
        self.metrics = {
            "valid_acc": Metric("valid_acc", "top-1 validation accuracy (%) at the epoch",
                                split, validation=True),
            "train_time": Metric("train_time", "training seconds up to the epoch", split,
                                 validation=True, higher_is_better=False, unit="s"),
            **COST_METRICS,
        }
        self._encoder = _Encoder(tables)
        self._session = _session(_checked_bytes(store, MODEL_FILE))
        self._scalar = lru_cache(maxsize=SCALAR_CACHE)(self._predict_one)
        self._curves_cache = lru_cache(maxsize=CURVE_CACHE)(
            lambda arch: self._predict_curves(np.array([arch], dtype=np.int64))[0]
        )

    # --- fidelities ---------------------------------------------------------------------
    def check_fidelity(self, fidelity: str | int | None) -> str:
        """The canonical ``"epoch<N>"`` for ``fidelity`` (``"epoch<N>"`` or an int N)."""
        if fidelity is None:
            return self.default_fidelity
        epoch = _epoch_of(fidelity)
        if epoch is None or epoch not in self.epochs:
            raise ValueError(
                f"unknown fidelity {fidelity!r} for {self.name}; accepted: "
                f"{self.fidelities[0]} .. {self.fidelities[-1]} (or the epoch as an int "
                f"{self.epochs[0]}..{self.epochs[-1]})"
            )
        return f"epoch{epoch}"

    def fidelity_epochs(self, fidelity: str | int | None = None) -> int:
        return int(self.check_fidelity(fidelity)[len("epoch"):])

    def resumed_cost(self, arch: np.ndarray, fidelity: str | int | None = None) -> float:
        """Training seconds of one run up to ``fidelity`` as a resumed run counts them: the
        running maximum of the surrogate's cumulative time over epochs 1..N. The surrogate puts
        epoch 1 at about twice epoch 2's time (on all of 200 sampled archs) and is monotone from
        about epoch 7 on; a run resumed from epoch 1 cannot have trained for less than it
        already had, so continuations are charged on this maximum (equal to ``cost`` from
        about epoch 7, and always at epoch 98)."""
        epoch = self.fidelity_epochs(fidelity)
        arch = self.space.validate(arch)
        times = self._curve_one(tuple(arch.tolist()))[: epoch - self.epochs[0] + 1, 1]
        return float(times.max())

    # --- queries ------------------------------------------------------------------------
    def query(
        self,
        archs: np.ndarray,
        metric: str,
        fidelity: str | int | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray | float:
        """``metric`` of each arch at ``fidelity``: an array (n,) for a batch (n, 32), a float
        for one arch. ``rng`` is ignored: the surrogate is deterministic."""
        self.check_metric(metric)
        if metric in COST_METRICS:  # the same network at every epoch
            self.check_fidelity(fidelity)
            return _network_cost(self.space.validate(archs), metric)
        column = OUTPUT_COLUMN[metric]
        epoch = int(self.check_fidelity(fidelity)[len("epoch"):])
        archs = self.space.validate(archs)
        if archs.ndim == 1:
            return self._scalar(tuple(archs.tolist()), epoch)[column]
        return self._predict(archs, epoch)[:, column].astype(np.float64)

    def cost(self, archs: np.ndarray, fidelity: str | int | None = None) -> np.ndarray | float:
        """Simulated seconds: the surrogate's training time up to the fidelity's epoch."""
        return self.query(archs, "train_time", fidelity)

    def learning_curves(self, archs: np.ndarray, metric: str = "valid_acc") -> np.ndarray:
        """(n, 98) float64: ``metric`` (``valid_acc`` or ``train_time``) at epochs 1..98 of each
        arch, from the surrogate (one model call per chunk of archs x epochs), the same numbers
        ``query`` gives epoch by epoch. The surrogate predicts each epoch independently, so a
        curve is not guaranteed monotone."""
        if metric not in OUTPUT_COLUMN:
            raise ValueError(f"unknown curve {metric!r}; accepted: {', '.join(OUTPUT_COLUMN)}")
        archs = np.atleast_2d(self.space.validate(archs))
        return self._predict_curves(archs)[..., OUTPUT_COLUMN[metric]].astype(np.float64)

    def optimum(self, metric: str, fidelity: str | None = None) -> None:
        """Unknown: the surrogate cannot be maximized exhaustively over ~10^18 archs."""
        return None

    # --- the model ----------------------------------------------------------------------
    def _predict(self, archs: np.ndarray, epoch: int) -> np.ndarray:
        """(n, 2) float32: validation accuracy and runtime of valid archs (n, 32)."""
        out = np.empty((archs.shape[0], 2), dtype=np.float32)
        for start in range(0, archs.shape[0], CHUNK):
            part = archs[start : start + CHUNK]
            x_cont = np.full((part.shape[0], 1), epoch, dtype=np.float32)
            feeds = {"x_cat": self._encoder(part), "x_cont": x_cont}
            out[start : start + CHUNK] = self._session.run(None, feeds)[0]
        return out

    def observed_curve(self, arch: np.ndarray, fidelity: str | int | None = None) -> np.ndarray:
        """Validation accuracy at epochs 1..N of ``arch`` (the surrogate's, as ``query`` gives
        them epoch by epoch): what one training run to epoch N logs along the way."""
        epoch = self.fidelity_epochs(fidelity)
        arch = self.space.validate(arch)
        curve = self._curve_one(tuple(arch.tolist()))
        return curve[: epoch - self.epochs[0] + 1, 0].astype(np.float64)

    def _predict_curves(self, archs: np.ndarray) -> np.ndarray:
        """(n, epochs, 2) float32: validation accuracy and runtime of each arch at every epoch,
        in one model call per chunk (rows are arch-major)."""
        n, epochs = archs.shape[0], np.arange(self.epochs[0], self.epochs[-1] + 1)
        out = np.empty((n * epochs.size, 2), dtype=np.float32)
        per_chunk = max(1, CHUNK // epochs.size)
        for start in range(0, n, per_chunk):
            part = archs[start : start + per_chunk]
            x_cat = np.repeat(self._encoder(part), epochs.size, axis=0)
            x_cont = np.tile(epochs, part.shape[0]).astype(np.float32)[:, None]
            rows = slice(start * epochs.size, (start + part.shape[0]) * epochs.size)
            out[rows] = self._session.run(None, {"x_cat": x_cat, "x_cont": x_cont})[0]
        return out.reshape(n, epochs.size, 2)

    def _curve_one(self, arch: tuple[int, ...]) -> np.ndarray:
        return self._curves_cache(arch)

    def _predict_one(self, arch: tuple[int, ...], epoch: int) -> tuple[float, float]:
        acc, runtime = self._predict(np.array([arch], dtype=np.int64), epoch)[0].tolist()
        return acc, runtime


# Costs of the network NAS-Bench-Suite-Zero counted for NB301 (8 cells, C = 32; closed forms of
# benchmarks.networks.darts_cost, equal to its published params and flops on all 725 archs).
_NETWORK = "NAS-Bench-Suite-Zero's 8-cell, 32-channel DARTS network"
COST_METRICS = {
    "params": Metric("params", f"parameters (millions) of {_NETWORK}", "network",
                     validation=True, higher_is_better=False, free=True, unit="M"),
    "flops": Metric("flops", f"MFLOPs of one image (multiply-adds of convs and the classifier) "
                    f"through {_NETWORK}", "network", validation=True, higher_is_better=False,
                    free=True, unit="MFLOPs"),
}


def _network_cost(archs: np.ndarray, metric: str) -> np.ndarray | float:
    from benchmarks.networks import darts_cost

    values = darts_cost.params(archs) if metric == "params" else darts_cost.flops(archs)
    return float(values[0]) if archs.ndim == 1 else values


class _Encoder:
    """Genotype batch (n, 32) -> the surrogate's ``x_cat`` (n, 34) int32, with the lookup tables
    of ``inputs.json`` (built and documented in ``benchmarks/build/nb301.py``): each (input, op)
    pair sets the code of its op in the column of the edge joining its input to its node; each
    node 3..5 sets the code of its input pair ``"a_b"``; unused columns keep ``#na#``."""

    def __init__(self, tables: dict) -> None:
        self.default = np.asarray(tables["na_codes"], dtype=np.int32)
        edge_column = np.asarray(tables["edge_column"], dtype=np.int64)  # (cell, node, input)
        # Per pair of the vector (cell, node, pair): its row of possible columns, by input.
        self.pair_columns = np.repeat(edge_column.reshape(-1, edge_column.shape[-1]), 2, axis=0)
        self.op_codes = np.asarray(tables["op_codes"], dtype=np.int32)  # (column, op)
        self.input_column = np.asarray(tables["input_column"], dtype=np.int64).reshape(-1)
        self.input_codes = np.asarray(tables["input_codes"], dtype=np.int32)  # (cell, k - 1, a, b)
        if (self.op_codes[self.pair_columns[self.pair_columns >= 0]] < 0).any():
            raise DataIntegrityError("inputs.json: an edge column has no op codes")

    def __call__(self, archs: np.ndarray) -> np.ndarray:
        n = archs.shape[0]
        pairs = archs.reshape(n, len(CELLS) * N_NODES * 2, 2)  # (n, 16, (input, op))
        columns = self.pair_columns[np.arange(pairs.shape[1]), pairs[..., 0]]
        out = np.tile(self.default, (n, 1))
        out[np.arange(n)[:, None], columns] = self.op_codes[columns, pairs[..., 1]]
        inputs = pairs[..., 0].reshape(n, len(CELLS), N_NODES, 2)[:, :, 1:]  # nodes 3..5
        cells = np.arange(len(CELLS))[:, None]
        nodes = np.arange(N_NODES - 1)[None, :]
        codes = self.input_codes[cells, nodes, inputs[..., 0], inputs[..., 1]]
        out[:, self.input_column] = codes.reshape(n, -1)
        return out


def _epoch_of(fidelity) -> int | None:
    if isinstance(fidelity, int | np.integer) and not isinstance(fidelity, bool):
        return int(fidelity)
    if isinstance(fidelity, str):
        match = re.fullmatch(r"epoch(\d+)", fidelity)
        if match:
            return int(match.group(1))
    return None


def _checked_bytes(store: TableStore, name: str) -> bytes:
    """The bytes of ``name`` after checking their SHA-256 against the manifest."""
    expected = store.manifest["tables"].get(name)
    if expected is None:
        raise DataIntegrityError(f"{name} is not in {store.folder / 'MANIFEST.json'}")
    raw = (store.folder / name).read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise DataIntegrityError(
            f"checksum mismatch for {store.folder / name}: manifest {expected[:12]}..., file "
            f"{actual[:12]}...; rebuild with python -m benchmarks.build.nb301"
        )
    return raw


def _session(model: bytes):
    """An onnxruntime session on the CPU, ``INTRA_OP_THREADS`` threads that sleep when idle
    (spinning threads would steal the cores of parallel ``-j`` workers between queries)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = INTRA_OP_THREADS
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
