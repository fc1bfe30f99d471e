"""The official NAS-Bench-301 surrogate ensembles (Siems, Zimmer et al. 2020), for users who
downloaded them (figshare "nasbench301_models_v1_0.zip": ``nb_models/xgb_v1.0``,
``lgb_runtime_v1.0``, ...). Nothing here imports ConfigSpace, and xgboost/lightgbm only when a
member needs them (the 2020 xgb members are evaluated in numpy: see ``nb301_legacy``).

**Layout** (automl/nasbench301 ``api.load_ensemble``, ``surrogate_models/ensemble.py``): an
ensemble folder holds one folder per member, found recursively as the parent of each
``surrogate_model.model`` (the member's booster, pickled); ``model_config.json`` (whose
``"model"`` names the member type: ``xgb``/``lgb`` predict the validation accuracy in %,
``xgb_time``/``lgb_time`` the training runtime in seconds) and ``data_config.json`` (its seed;
not needed to predict) are read from the first member's folder. Besides the official pickle, a
member may be saved as ``surrogate_model.json``/``.ubj`` (xgboost ``save_model``) or
``surrogate_model.txt`` (lightgbm ``save_model``). The pickles are read without running pickle
code (``benchmarks.nb301_legacy``).

**Prediction** (``api.SurrogateAPI.predict``, ``ensemble.BaggingEnsemble``): the genotype becomes
a config dict (``representations.convert_genotype_to_config``), merged with the fixed training
hyperparameters of ``api.fixed_hyperparameters``, then a ConfigSpace configuration's
``get_array()``: a 56-dim vector with NaN for inactive hyperparameters, which the member models
replace by -1 (``XGBModel.query``). ``encode_official`` computes that vector directly. Each member
predicts; ``with_noise=False`` returns the members' mean, ``with_noise=True`` the mean plus
N(0, std of the members) (population std). ``OfficialEnsemble.predict`` returns (mean, std).

**Fidelity**: the training data are 100-epoch runs (``T_max`` 100), so the official models
answer one fidelity, ``epoch100``; the YAHPO surrogate's epochs 1..98 have no counterpart.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from benchmarks.base import Benchmark, Metric
from benchmarks.nb301_legacy import (
    LegacyFormatError,
    LegacyTrees,
    is_legacy_binary,
    read_booster,
)
from benchmarks.spaces.darts import CELLS, N_NODES, OPS, DartsSpace

PREFIX = "NetworkSelectorDatasetInfo:darts:"
N_FEATURES = 56
EPOCHS = 100  # the NB301 training schedule: T_max 100 in api.fixed_hyperparameters
FIDELITY = f"epoch{EPOCHS}"
MEMBER_FILES = {  # file name -> how it is read
    "surrogate_model.model": "official pickle",
    "surrogate_model.json": "xgboost save_model",
    "surrogate_model.ubj": "xgboost save_model",
    "surrogate_model.txt": "lightgbm save_model",
}
MODEL_CONFIG = "model_config.json"
DATA_CONFIG = "data_config.json"
ACCURACY_MODELS = ("xgb", "lgb")  # target: validation accuracy (%)
RUNTIME_MODELS = ("xgb_time", "lgb_time")  # target: training runtime (s)
# Folder names inside the official zip's nb_models/ (v0.9 and v1.0).
ACCURACY_FOLDER = re.compile(r"(xgb|lgb)_v\d+(\.\d+)*")
RUNTIME_FOLDER = re.compile(r"(xgb|lgb)_runtime_v\d+(\.\d+)*")
SCALAR_CACHE = 65_536


class OfficialModelsError(ValueError):
    """A folder does not hold a usable official NB301 ensemble; the message says what is wrong
    and which files are expected."""


# --- the configuration space --------------------------------------------------------------
# nasbench301/configspace.json, with the four hyperparameters that
# surrogate_models/utils.ConfigLoader.load_config_space replaces (layers, init_channels and
# T_max become ints in [1, 10000], eta_min a float in [0, 10000]). Kinds: ("int", lower, upper,
# log) and ("float", lower, upper, log) are scaled to [0, 1] as ConfigSpace does (ints widened
# by 0.49999 on each side); ("normal", log) is log(value) unscaled; ("cat", choices) is the
# index of the choice; ("const",) is 0.
_OPS_CHOICES = tuple(OPS)


def _input_pairs(node: int) -> tuple[str, ...]:
    """Choices of ``inputs_node_<cell>_<node>`` (graph node 3..5): "a_b" in ConfigSpace order."""
    return tuple(f"{a}_{b}" for a, b in itertools.combinations(range(node), 2))


def _edge_start(k: int) -> int:
    """First edge id of intermediate node k (0..3): edges are numbered node by node, one per
    possible input (2, 3, 4, 5 inputs), as representations.convert_genotype_to_config does."""
    return sum(range(2, k + 2))


_UNCONDITIONAL: dict[str, tuple] = {
    "CreateImageDataLoader:batch_size": ("int", 64, 128, True),
    "ImageAugmentation:augment": ("cat", (True,)),
    "ImageAugmentation:autoaugment": ("cat", (False, True)),
    "ImageAugmentation:cutout": ("cat", (True,)),
    "ImageAugmentation:cutout_holes": ("int", 1, 3, False),
    "ImageAugmentation:cutout_length": ("int", 1, 50, False),
    "ImageAugmentation:fastautoaugment": ("cat", (False, True)),
    "LossModuleSelectorIndices:loss_module": ("cat", ("cross_entropy",)),
    f"{PREFIX}auxiliary": ("cat", (True,)),
    f"{PREFIX}drop_path_prob": ("const",),
    **{f"{PREFIX}edge_{cell}_{i}": ("cat", _OPS_CHOICES) for cell in CELLS for i in (0, 1)},
    f"{PREFIX}init_channels": ("int", 1, 10000, False),
    **{f"{PREFIX}inputs_node_{cell}_{n}": ("cat", _input_pairs(n)) for cell in CELLS
       for n in (3, 4, 5)},
    f"{PREFIX}layers": ("int", 1, 10000, False),
    "NetworkSelectorDatasetInfo:network": ("cat", ("darts",)),
    "OptimizerSelector:optimizer": ("cat", ("sgd",)),
    "OptimizerSelector:sgd:learning_rate": ("normal", True),
    "OptimizerSelector:sgd:momentum": ("float", 0.1, 0.99, False),
    "OptimizerSelector:sgd:weight_decay": ("normal", True),
    "SimpleLearningrateSchedulerSelector:cosine_annealing:T_max": ("int", 1, 10000, False),
    "SimpleLearningrateSchedulerSelector:cosine_annealing:eta_min": ("float", 0, 10000, False),
    "SimpleLearningrateSchedulerSelector:lr_scheduler": ("cat", ("cosine_annealing",)),
    "SimpleTrainNode:batch_loss_computation_technique": ("cat", ("mixup",)),
    "SimpleTrainNode:mixup:alpha": ("float", 0.01, 0.7, True),
}
# Edges 2..13 of each cell are conditional: active when their node's input pair contains their
# input. ConfigSpace lists unconditional hyperparameters first, then the conditional ones, each
# group sorted by name (so edge_normal_10 comes before edge_normal_2).
_CONDITIONAL = sorted(f"{PREFIX}edge_{cell}_{i}" for cell in CELLS for i in range(2, 14))
NAMES: tuple[str, ...] = tuple(sorted(_UNCONDITIONAL)) + tuple(_CONDITIONAL)
KINDS: dict[str, tuple] = {**_UNCONDITIONAL, **dict.fromkeys(_CONDITIONAL, ("cat", _OPS_CHOICES))}
COLUMN = {name: i for i, name in enumerate(NAMES)}

# nasbench301/api.py fixed_hyperparameters: the training pipeline of every NB301 architecture.
FIXED_HYPERPARAMETERS: dict[str, object] = {
    "CreateImageDataLoader:batch_size": 96,
    "ImageAugmentation:augment": True,
    "ImageAugmentation:cutout": True,
    "ImageAugmentation:cutout_holes": 1,
    "ImageAugmentation:cutout_length": 16,
    "ImageAugmentation:autoaugment": False,
    "ImageAugmentation:fastautoaugment": False,
    "LossModuleSelectorIndices:loss_module": "cross_entropy",
    f"{PREFIX}auxiliary": True,
    f"{PREFIX}drop_path_prob": 0.2,
    "NetworkSelectorDatasetInfo:network": "darts",
    "OptimizerSelector:optimizer": "sgd",
    "OptimizerSelector:sgd:learning_rate": 0.025,
    "OptimizerSelector:sgd:momentum": 0.9,
    "OptimizerSelector:sgd:weight_decay": 0.0003,
    "SimpleLearningrateSchedulerSelector:cosine_annealing:T_max": EPOCHS,
    "SimpleLearningrateSchedulerSelector:cosine_annealing:eta_min": 1e-8,
    "SimpleLearningrateSchedulerSelector:lr_scheduler": "cosine_annealing",
    "SimpleTrainNode:batch_loss_computation_technique": "mixup",
    "SimpleTrainNode:mixup:alpha": 0.2,
    f"{PREFIX}init_channels": 32,
    f"{PREFIX}layers": 8,
}


def vector_value(name: str, value) -> float:
    """ConfigSpace's vector value (``Configuration.get_array()``) of hyperparameter ``name``
    set to ``value``; the strings "True"/"False" of the official result files are booleans."""
    kind = KINDS.get(name)
    if kind is None:
        raise ValueError(f"unknown NB301 hyperparameter {name!r}; accepted: {', '.join(NAMES)}")
    if value in ("True", "False"):
        value = value == "True"
    if kind[0] == "cat":
        for index, choice in enumerate(kind[1]):
            if type(choice) is type(value) and choice == value:
                return float(index)
        raise ValueError(
            f"bad value {value!r} for {name}; accepted: {', '.join(map(repr, kind[1]))}"
        )
    if kind[0] == "const":
        return 0.0
    if kind[0] == "normal":
        return float(np.log(value)) if kind[1] else float(value)
    _, lower, upper, log = kind
    if not lower <= value <= upper:
        raise ValueError(f"bad value {value!r} for {name}; accepted: {lower}..{upper}")
    if kind[0] == "int":
        lower, upper = lower - 0.49999, upper + 0.49999
    lower, upper = float(lower), float(upper)
    if log:
        value, lower, upper = np.log(value), np.log(lower), np.log(upper)
    return float(min(1.0, max(0.0, (value - lower) / (upper - lower))))


def encode_config(config: dict, impute: bool = True) -> np.ndarray:
    """The 56-dim vector of an official config dict (``optimized_hyperparamater_config`` of a
    result file, or a genotype's dict merged with ``FIXED_HYPERPARAMETERS``). Missing
    hyperparameters are inactive: NaN, or -1 with ``impute`` (what the models were fed)."""
    out = np.full(N_FEATURES, -1.0 if impute else np.nan)
    for name, value in config.items():
        out[COLUMN.get(name, 0)] = vector_value(name, value)  # vector_value refuses unknowns
    return out


# ConfigSpace 0.6.1 gave batch_size 96 the vector value 0.5863451791322553, 8e-16 above the
# formula's with correctly rounded logs: that machine's np.log(128.49999) was one ulp low. The
# models never split on it (constant in the training data), but the inputs are kept identical to
# the reference vector (tests/test_nb301_official.py); every other fixed value is bit-identical.
_CONFIGSPACE_ROUNDING = {"CreateImageDataLoader:batch_size": 0.5863451791322553}
_FIXED_VECTOR = encode_config(FIXED_HYPERPARAMETERS, impute=False)
for _name, _value in _CONFIGSPACE_ROUNDING.items():
    _FIXED_VECTOR[COLUMN[_name]] = _value
_FIXED_COLUMNS = np.array(sorted(COLUMN[name] for name in FIXED_HYPERPARAMETERS))


def _arch_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per (cell, node, input): the column of that edge; per (cell, node 1..3): the column of
    its ``inputs_node``; per (node 1..3, a, b): the choice index of the pair "a_b"."""
    edge_column = np.full((len(CELLS), N_NODES, N_NODES + 1), -1, dtype=np.int64)
    input_column = np.zeros((len(CELLS), N_NODES - 1), dtype=np.int64)
    pair_index = np.full((N_NODES - 1, N_NODES + 1, N_NODES + 1), -1, dtype=np.int64)
    for c, cell in enumerate(CELLS):
        for k in range(N_NODES):
            for i in range(k + 2):
                edge_column[c, k, i] = COLUMN[f"{PREFIX}edge_{cell}_{_edge_start(k) + i}"]
            if k:
                input_column[c, k - 1] = COLUMN[f"{PREFIX}inputs_node_{cell}_{k + 2}"]
    for k in range(1, N_NODES):
        for index, pair in enumerate(_input_pairs(k + 2)):
            a, b = map(int, pair.split("_"))
            pair_index[k - 1, a, b] = index
    return edge_column, input_column, pair_index


_EDGE_COLUMN, _INPUT_COLUMN, _PAIR_INDEX = _arch_tables()
_ARCH_COLUMNS = np.setdiff1d(np.arange(N_FEATURES), _FIXED_COLUMNS)


def encode_official(space: DartsSpace, archs: np.ndarray, impute: bool = True) -> np.ndarray:
    """The official surrogates' input for each arch: float64 (n, 56), or (56,) for one arch.

    Columns in ConfigSpace order (``NAMES``); the 22 training hyperparameters fixed as in
    ``api.fixed_hyperparameters``; each edge's op index where the edge is used, else -1 (with
    ``impute``; NaN as ``get_array()`` gives it otherwise); each ``inputs_node`` the index of its
    input pair. The order of a node's two pairs does not matter (edges are keyed by input)."""
    archs = space.validate(archs)
    single = archs.ndim == 1
    batch = np.atleast_2d(archs)
    n = batch.shape[0]
    out = np.tile(_FIXED_VECTOR, (n, 1))
    out[:, _ARCH_COLUMNS] = -1.0 if impute else np.nan
    pairs = batch.reshape(n, len(CELLS), N_NODES, 2, 2)  # (n, cell, node, pair, input/op)
    inputs, ops = pairs[..., 0], pairs[..., 1]
    cells = np.arange(len(CELLS))[None, :, None, None]
    nodes = np.arange(N_NODES)[None, None, :, None]
    columns = _EDGE_COLUMN[cells, nodes, inputs]  # (n, cell, node, pair)
    rows = np.arange(n)[:, None, None, None]
    out[rows, columns] = ops
    low = np.minimum(inputs[..., 0], inputs[..., 1])[:, :, 1:]  # nodes 1..3 (graph 3..5)
    high = np.maximum(inputs[..., 0], inputs[..., 1])[:, :, 1:]
    choice = _PAIR_INDEX[np.arange(N_NODES - 1)[None, None, :], low, high]
    out[np.arange(n)[:, None, None], _INPUT_COLUMN[None]] = choice
    return out[0] if single else out


# --- ensembles ------------------------------------------------------------------------------
class _Member:
    """One fitted member: ``predict(X)`` on the (n, 56) vectors."""

    def __init__(self, predict, library: str) -> None:
        self.predict = predict
        self.library = library


def _xgboost():
    try:
        import xgboost
    except ImportError:
        raise OfficialModelsError(
            "this NB301 ensemble has xgboost members saved by a recent xgboost; install it with "
            "pip install xgboost (or pip install 'nas-harness[nb301-official]')"
        ) from None
    return xgboost


def _lightgbm():
    try:
        import lightgbm
    except ImportError:
        raise OfficialModelsError(
            "this NB301 ensemble has lightgbm members (e.g. lgb_runtime_v1.0); install it with "
            "pip install lightgbm (or pip install 'nas-harness[nb301-official]')"
        ) from None
    return lightgbm


def _xgboost_member(booster) -> _Member:
    """Every tree, as the official ``Booster.predict`` (xgboost 1.x, ``ntree_limit=0``)."""
    rounds = booster.num_boosted_rounds()

    def predict(X: np.ndarray) -> np.ndarray:
        data = np.asarray(X, dtype=np.float32)
        return booster.inplace_predict(data, iteration_range=(0, rounds)).astype(np.float32)

    return _Member(predict, "xgboost")


def _lightgbm_member(booster, best_iteration: int | None) -> _Member:
    """``best_iteration`` trees when early stopping recorded one (the default of lightgbm's
    ``Booster.predict``, which the official models used), else every tree."""
    limit = best_iteration if best_iteration and best_iteration > 0 else 0

    def predict(X: np.ndarray) -> np.ndarray:
        return np.asarray(booster.predict(np.asarray(X, np.float64), num_iteration=limit))

    return _Member(predict, "lightgbm")


def _load_lightgbm(text: str | None = None, path: Path | None = None):
    lightgbm = _lightgbm()
    with contextlib.redirect_stdout(io.StringIO()):  # it prints a warning per old parameter
        if path is not None:
            return lightgbm.Booster(model_file=str(path))
        return lightgbm.Booster(model_str=text)


def _load_member_checked(path: Path, raw: bytes, model: str) -> _Member:
    """``_load_member``, with the libraries' own load errors naming the file."""
    try:
        return _load_member(path, raw, model)
    except (OfficialModelsError, LegacyFormatError):  # ours: they already name the file
        raise
    except Exception as error:  # xgboost's / lightgbm's errors: a file they cannot read
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise OfficialModelsError(f"{path}: cannot load this member ({first_line})") from None


def _load_member(path: Path, raw: bytes, model: str) -> _Member:
    where = str(path)
    if path.name == "surrogate_model.model":
        booster = read_booster(raw, where)
        expected = "lightgbm" if model.startswith("lgb") else "xgboost"
        if booster.library != expected:
            raise OfficialModelsError(
                f"{where} holds a {booster.library} booster but model_config.json says "
                f"{model!r} ({expected})"
            )
        if booster.library == "lightgbm":
            return _lightgbm_member(_load_lightgbm(text=booster.handle), booster.best_iteration)
        if is_legacy_binary(booster.handle):
            trees = LegacyTrees(booster.handle, where)
            if trees.n_features != N_FEATURES:
                raise OfficialModelsError(
                    f"{where} takes {trees.n_features} features; the NB301 models take "
                    f"{N_FEATURES}"
                )
            return _Member(trees.predict, "xgboost 1.x binary (numpy)")
        xgboost = _xgboost()
        handle = xgboost.Booster()
        handle.__setstate__({"handle": bytearray(booster.handle)})  # what pickle.load does
        return _xgboost_member(handle)
    if path.suffix == ".txt":
        if not model.startswith("lgb"):
            raise OfficialModelsError(f"{where} is a lightgbm file but the model is {model!r}")
        return _lightgbm_member(_load_lightgbm(path=path), None)
    if not model.startswith("xgb"):
        raise OfficialModelsError(f"{where} is an xgboost file but the model is {model!r}")
    booster = _xgboost().Booster()
    booster.load_model(bytearray(raw))
    return _xgboost_member(booster)


@dataclass
class OfficialEnsemble:
    """An official NB301 surrogate ensemble: its members, what they predict, and the SHA-256
    of every file read (``files``: relative path -> digest; ``checksum`` over them all)."""

    folder: Path
    model: str  # model_config.json "model": xgb, lgb, xgb_time or lgb_time
    members: list[_Member]
    files: dict[str, str]

    @property
    def target(self) -> str:
        return "runtime" if self.model in RUNTIME_MODELS else "valid_acc"

    @property
    def checksum(self) -> str:
        return _digest(self.files)

    @classmethod
    def load(cls, folder: str | Path) -> OfficialEnsemble:
        """Load the ensemble in ``folder`` (e.g. ``nb_models_1.0/xgb_v1.0``)."""
        folder = Path(folder).expanduser()
        if not folder.is_dir():
            raise OfficialModelsError(
                f"NB301 ensemble folder {folder} does not exist or is not a folder; {_EXPECTED}"
            )
        paths = sorted(p for name in MEMBER_FILES for p in folder.rglob(name) if p.is_file())
        if not paths:
            raise OfficialModelsError(f"{folder} holds no NB301 ensemble member; {_EXPECTED}")
        by_member: dict[Path, list[Path]] = {}
        for path in paths:
            by_member.setdefault(path.parent, []).append(path)
        for member, found in by_member.items():
            if len(found) > 1:
                raise OfficialModelsError(
                    f"member folder {member} holds {len(found)} model files "
                    f"({', '.join(p.name for p in found)}); keep one of {', '.join(MEMBER_FILES)}"
                )
        model = _model_config(folder, list(by_member))
        files: dict[str, str] = {}
        members = []
        for path in paths:
            raw = path.read_bytes()
            files[path.relative_to(folder).as_posix()] = hashlib.sha256(raw).hexdigest()
            members.append(_load_member_checked(path, raw, model))
        for directory in [folder, *by_member]:  # every config the loader reads or checks
            for name in (MODEL_CONFIG, DATA_CONFIG):
                if (directory / name).is_file():
                    files[(directory / name).relative_to(folder).as_posix()] = _sha256(
                        directory / name)
        return cls(folder, model, members, dict(sorted(files.items())))

    def predict_members(self, X: np.ndarray) -> np.ndarray:
        """Each member's predictions of the (n, 56) vectors ``X``: shape (n, members)."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        if X.shape[1:] != (N_FEATURES,):
            raise ValueError(f"official NB301 inputs have {N_FEATURES} columns, got {X.shape}")
        return np.stack([m.predict(X) for m in self.members], axis=1)

    def predict(self, archs: np.ndarray, space: DartsSpace | None = None) -> tuple[
            np.ndarray, np.ndarray]:
        """(mean, std) over the members for each arch (n, 32): what ``predict(...,
        with_noise=False)`` returns, and the scale of its ``with_noise=True`` Gaussian."""
        space = space or DartsSpace()
        X = np.atleast_2d(encode_official(space, archs))
        preds = self.predict_members(X)  # rows contiguous: numpy reduces each as the official
        return preds.mean(axis=1).astype(np.float64), preds.std(axis=1).astype(np.float64)


_EXPECTED = (
    "expected the folder of one official ensemble (e.g. nb_models_1.0/xgb_v1.0): one folder per "
    f"member holding {' or '.join(MEMBER_FILES)}, and {MODEL_CONFIG} (with \"model\": one of "
    f"{', '.join(ACCURACY_MODELS + RUNTIME_MODELS)}) in the first member's folder or in the "
    "ensemble folder"
)


def _model_config(folder: Path, member_dirs: Sequence[Path]) -> str:
    """The members' type, from model_config.json: the official loader reads the first member's;
    here every one found (in the member folders, then the ensemble folder) must agree."""
    candidates = [d / MODEL_CONFIG for d in member_dirs] + [folder / MODEL_CONFIG]
    found = [p for p in candidates if p.is_file()]
    if not found:
        raise OfficialModelsError(f"{folder} has no {MODEL_CONFIG}; {_EXPECTED}")
    models = {}
    for path in found:
        try:
            models[path] = json.loads(path.read_text())["model"]
        except (ValueError, KeyError, TypeError) as error:
            raise OfficialModelsError(
                f"{path} is not a model config with a \"model\" entry ({error!r})"
            ) from None
    if len(set(models.values())) > 1:
        listing = ", ".join(f"{p.relative_to(folder)}: {m}" for p, m in models.items())
        raise OfficialModelsError(f"{folder} mixes member types ({listing}); {_EXPECTED}")
    path, model = found[0], models[found[0]]
    if not isinstance(model, str) or model not in ACCURACY_MODELS + RUNTIME_MODELS:
        raise OfficialModelsError(
            f"{path}: member type {model!r} is not supported; accepted: "
            f"{', '.join(ACCURACY_MODELS + RUNTIME_MODELS)} (the GNN and other NB301 surrogates "
            "need the official package)"
        )
    return model


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _digest(files: dict[str, str]) -> str:
    """SHA-256 over "path<TAB>sha256" lines in sorted path order."""
    text = "".join(f"{path}\t{sha}\n" for path, sha in sorted(files.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def find_ensembles(models: str | Path, runtime: str | Path | None = None) -> tuple[
        Path, Path | None]:
    """The accuracy and runtime ensemble folders from ``models``: either the official zip's
    ``nb_models`` folder (its ``xgb_v*``/``lgb_v*`` and ``*_runtime_v*`` subfolders are used)
    or one accuracy ensemble folder. An explicit ``runtime`` folder wins."""
    models = Path(models).expanduser().resolve()
    if not models.is_dir():
        raise OfficialModelsError(f"NB301 models folder {models} does not exist; {_EXPECTED}")
    subfolders = sorted(p for p in models.iterdir() if p.is_dir())
    accuracy = [p for p in subfolders if ACCURACY_FOLDER.fullmatch(p.name)]
    runtimes = [p for p in subfolders if RUNTIME_FOLDER.fullmatch(p.name)]
    if len(accuracy) > 1:
        raise OfficialModelsError(
            f"{models} holds several accuracy ensembles ({', '.join(p.name for p in accuracy)}); "
            "give the folder of the one to use"
        )
    if len(runtimes) > 1 and runtime is None:
        raise OfficialModelsError(
            f"{models} holds several runtime ensembles ({', '.join(p.name for p in runtimes)}); "
            "give the one to use as the runtime folder"
        )
    if runtime is not None:
        runtime_dir: Path | None = Path(runtime).expanduser().resolve()
    else:
        runtime_dir = runtimes[0] if accuracy and runtimes else None
    return (accuracy[0] if accuracy else models), runtime_dir


# --- the benchmark --------------------------------------------------------------------------
class NB301OfficialBenchmark(Benchmark):
    """``nb301-cifar10`` answered by the official ensembles: ``valid_acc`` (%) at ``epoch100``
    from the accuracy ensemble, and ``train_time`` (s, the whole 100-epoch run) from the runtime
    ensemble when one is given; without it, ``cost`` is 0 and ``cost_known`` False (budgets in
    queries only).

    ``query(..., rng=...)`` of ``valid_acc`` draws as ``predict(with_noise=True)``: the members'
    mean plus N(0, their std), from ``rng``; without ``rng`` it is the mean. So an oracle with
    ``noise="seed"`` sees one simulated training run, and incumbents are scored by the mean."""

    kind = "surrogate"
    report_metric = None
    objective = "valid_acc"
    fidelities = (FIDELITY,)
    default_fidelity = FIDELITY

    def __init__(self, name: str, models: str | Path, runtime: str | Path | None = None) -> None:
        self.name = name
        accuracy_dir, runtime_dir = find_ensembles(models, runtime)
        self.accuracy = OfficialEnsemble.load(accuracy_dir)
        if self.accuracy.target != "valid_acc":
            raise OfficialModelsError(
                f"{accuracy_dir} is a runtime ensemble ({self.accuracy.model}); the models "
                f"folder needs an accuracy ensemble ({', '.join(ACCURACY_MODELS)})"
            )
        self.runtime = OfficialEnsemble.load(runtime_dir) if runtime_dir is not None else None
        if self.runtime is not None and self.runtime.target != "runtime":
            raise OfficialModelsError(
                f"{runtime_dir} is not a runtime ensemble ({self.runtime.model}); accepted: "
                f"{', '.join(RUNTIME_MODELS)}"
            )
        self.space = DartsSpace()
        split = f"official NB301 surrogate ({self.accuracy.folder.name}), CIFAR-10 validation"
        self.metrics = {
            "valid_acc": Metric("valid_acc", "top-1 validation accuracy (%) after 100 epochs",
                                split, validation=True, per_seed=(FIDELITY,)),
        }
        if self.runtime is not None:
            self.metrics["train_time"] = Metric(
                "train_time", "training seconds of the 100-epoch run",
                f"official NB301 runtime surrogate ({self.runtime.folder.name})",
                validation=True, higher_is_better=False)
        self.cost_known = self.runtime is not None
        files = {f"valid_acc/{k}": v for k, v in self.accuracy.files.items()}
        if self.runtime is not None:
            files.update({f"train_time/{k}": v for k, v in self.runtime.files.items()})
        self.files = files
        self.checksum = _digest(files)
        self._scalar = lru_cache(maxsize=SCALAR_CACHE)(self._predict_one)

    def check_fidelity(self, fidelity: str | int | None) -> str:
        if fidelity is None or fidelity in (FIDELITY, EPOCHS) and not isinstance(fidelity, bool):
            return FIDELITY
        raise ValueError(
            f"unknown fidelity {fidelity!r} for {self.name} with the official NB301 models: they "
            f"predict only the final ({EPOCHS}-epoch) result; accepted: {FIDELITY} (or "
            f"{EPOCHS}). Epochs 1..98 need the YAHPO surrogate (no official models given)"
        )

    def query(
        self,
        archs: np.ndarray,
        metric: str,
        fidelity: str | int | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray | float:
        """``metric`` of each arch: an array (n,) for a batch (n, 32), a float for one arch.
        With ``rng``, ``valid_acc`` is one noisy draw per arch (see the class docstring)."""
        self.check_metric(metric)
        self.check_fidelity(fidelity)
        archs = self.space.validate(archs)
        column = 0 if metric == "valid_acc" else 2
        if archs.ndim == 1:
            values = self._scalar(tuple(archs.tolist()))
            mean, std = values[column], values[column + 1]
            if rng is not None and metric == "valid_acc":
                return float(mean + std * rng.standard_normal())
            return mean
        values = self._predict(archs)
        mean, std = values[:, column], values[:, column + 1]
        if rng is not None and metric == "valid_acc":
            return mean + std * rng.standard_normal(mean.shape[0])
        return mean

    def cost(self, archs: np.ndarray, fidelity: str | int | None = None) -> np.ndarray | float:
        """The runtime ensemble's mean training seconds; 0 without a runtime ensemble."""
        self.check_fidelity(fidelity)
        if self.runtime is None:
            archs = self.space.validate(archs)
            return 0.0 if archs.ndim == 1 else np.zeros(archs.shape[0])
        return self.query(archs, "train_time", fidelity)

    def optimum(self, metric: str, fidelity: str | None = None) -> None:
        return None

    def _predict(self, archs: np.ndarray) -> np.ndarray:
        """(n, 4): accuracy mean and std, runtime mean and std (NaN without runtime models)."""
        out = np.full((archs.shape[0], 4), np.nan)
        out[:, 0], out[:, 1] = self.accuracy.predict(archs, self.space)
        if self.runtime is not None:
            out[:, 2], out[:, 3] = self.runtime.predict(archs, self.space)
        return out

    def _predict_one(self, arch: tuple[int, ...]) -> tuple[float, ...]:
        return tuple(self._predict(np.array([arch], dtype=np.int64))[0].tolist())
