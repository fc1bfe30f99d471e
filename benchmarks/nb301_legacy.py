"""Reading the official NAS-Bench-301 ensemble member files without running pickle code.

The official package (automl/nasbench301, ``surrogate_models/gradient_boosting/{xgboost,
lgboost}.py``) saves each member with ``pickle.dump(booster)`` as ``surrogate_model.model``.
Unpickling that with ``pickle.load`` would run whatever the file names; ``read_booster`` instead
replays the pickle with an unpickler that resolves no global at all: the ``Booster`` classes
become an inert record of their state and every other global an inert placeholder, so nothing is
imported or called. What a booster's state holds is plain data:

- xgboost: ``handle``, a bytearray from ``XGBoosterSerializeToBuffer``. Members pickled by
  xgboost 1.x (the v0.9/v1.0 models date from 2020) hold ``b"CONFIG-offset:"``, an int64 length,
  the legacy *binary* model, then a JSON config. xgboost >= 3.1 can no longer read that binary
  format (checked with 3.2: "Invalid serialization file"), so ``LegacyTrees`` parses it and
  evaluates the trees in numpy, as xgboost 1.2 predicts them. Newer pickles hold xgboost's own
  JSON/UBJSON serialization, which xgboost itself loads.
- lightgbm: ``handle`` (``_handle`` from lightgbm 4), the model as text
  (``model_to_string(num_iteration=-1)``: every tree),
  and ``best_iteration``, which ``Booster.predict`` used by default, so the loader uses it too.

Layouts verified against xgboost 1.2.1 and lightgbm 2.3.1 pickles (``tests/data/nb301_official``).
"""

from __future__ import annotations

import io
import json
import pickle
import struct
from dataclasses import dataclass

import numpy as np

SERIALISATION_HEADER = b"CONFIG-offset:"
BINARY_MAGIC = b"binf"
# Structs of xgboost 1.x's binary format (include/xgboost/{learner,tree_model}.h, gbtree_model.h).
_LEARNER_PARAM = struct.Struct("<fIiiiII27i")  # base_score, num_feature, num_class, ... (136 B)
_GBTREE_PARAM = struct.Struct("<4iq2i32i")  # num_trees, ..., size_leaf_vector, reserved (160 B)
_TREE_PARAM = struct.Struct("<6i31i")  # roots, num_nodes, num_deleted, depth, features, ... (148 B)
_NODE = np.dtype([("parent", "<i4"), ("left", "<i4"), ("right", "<i4"), ("sindex", "<u4"),
                  ("info", "<f4")])  # 20 B: info is the leaf value or the split threshold
_NODE_STAT_BYTES = 16  # loss_chg, sum_hess, base_weight, leaf_child_cnt: not needed to predict
_IDENTITY_OBJECTIVES = ("reg:squarederror", "reg:linear")  # prediction = margin
_BOOSTER_CLASSES = {
    ("xgboost.core", "Booster"): "xgboost",
    ("lightgbm.basic", "Booster"): "lightgbm",
}
ROWS_X_TREES = 1 << 21  # traversal chunk: bounds the (rows, trees) index arrays to ~16 MB


class LegacyFormatError(ValueError):
    """A member file is not a booster pickle, or holds a model this reader cannot evaluate."""


@dataclass(frozen=True)
class PickledBooster:
    """The plain data of a pickled xgboost or lightgbm ``Booster``."""

    library: str  # "xgboost" or "lightgbm"
    handle: bytes | str  # xgboost: serialized buffer; lightgbm: model text
    best_iteration: int | None


class _Inert:
    """Stands in for any global a pickle names: takes any arguments and state, does nothing."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __setstate__(self, state) -> None:
        pass

    def __setitem__(self, key, value) -> None:
        pass

    def append(self, value) -> None:
        pass

    def extend(self, values) -> None:
        pass


class _BoosterRecord(_Inert):
    """Stands in for a ``Booster`` class: keeps the state the pickle gives it."""

    library = ""
    state: object = None

    def __setstate__(self, state) -> None:
        self.state = state


class _XGBoostRecord(_BoosterRecord):
    library = "xgboost"


class _LightGBMRecord(_BoosterRecord):
    library = "lightgbm"


_RECORDS = {"xgboost": _XGBoostRecord, "lightgbm": _LightGBMRecord}
_PLAIN = {("builtins", "bytearray"): bytearray, ("builtins", "bytes"): bytes}


class _DataOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        library = _BOOSTER_CLASSES.get((module, name))
        if library is not None:
            return _RECORDS[library]
        return _PLAIN.get((module, name), _Inert)

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("persistent ids are not supported")


def read_booster(raw: bytes, where: str) -> PickledBooster:
    """The booster pickled in ``raw`` (the bytes of ``where``, named in errors)."""
    try:
        obj = _DataOnlyUnpickler(io.BytesIO(raw)).load()
    except Exception as error:  # a corrupt or foreign file: say which and why
        raise LegacyFormatError(f"{where} is not a readable pickle: {error}") from None
    state = getattr(obj, "state", None)
    if not isinstance(obj, _BoosterRecord) or not isinstance(state, dict):
        raise LegacyFormatError(
            f"{where} does not hold a pickled booster; accepted: an xgboost.core.Booster or "
            "lightgbm.basic.Booster pickled by the official nasbench301 package"
        )
    handle = state.get("handle", state.get("_handle"))  # lightgbm >= 4 calls it _handle
    if isinstance(handle, bytearray):
        handle = bytes(handle)
    if not isinstance(handle, bytes | str) or not handle:
        raise LegacyFormatError(f"{where}: the pickled {obj.library} Booster holds no model")
    best = state.get("best_iteration")
    return PickledBooster(obj.library, handle, best if isinstance(best, int) else None)


def is_legacy_binary(buffer: bytes) -> bool:
    """True unless ``buffer`` is xgboost's JSON/UBJSON serialization (which opens with "{"):
    xgboost 1.x's ``CONFIG-offset:`` serialization, or the bare binary model of 0.9x."""
    return not buffer.startswith(b"{")


class LegacyTrees:
    """A gbtree regression model from xgboost 1.x's binary format, evaluated in numpy exactly as
    xgboost 1.2's CPU predictor does: features as float32; at a split go left when the value is
    ``< threshold`` (missing: the default side); per row the leaf values summed in float32 in
    tree order from 0, then added to ``base_score``. Every tree is used, as ``Booster.predict``
    did (``ntree_limit=0``), whatever early stopping recorded."""

    def __init__(self, buffer: bytes, where: str) -> None:
        self.where = where
        try:
            self._parse(buffer)
        except (struct.error, ValueError, IndexError) as error:
            raise LegacyFormatError(
                f"{where}: not an xgboost 1.x binary gbtree model ({error})"
            ) from None

    def _parse(self, buffer: bytes) -> None:
        view = memoryview(buffer)
        pos = 0
        if buffer.startswith(SERIALISATION_HEADER):
            pos = len(SERIALISATION_HEADER)
            (length,) = struct.unpack_from("<q", view, pos)
            pos += 8
            view = view[: pos + length]  # the JSON config after the model is not needed
        if bytes(view[pos : pos + 4]) == BINARY_MAGIC:
            pos += 4
        learner = _LEARNER_PARAM.unpack_from(view, pos)
        pos += _LEARNER_PARAM.size
        self.base_score = np.float32(learner[0])
        self.n_features = int(learner[1])
        num_class = learner[2]
        objective, pos = _read_string(view, pos)
        booster, pos = _read_string(view, pos)
        if booster != "gbtree" or num_class > 1 or objective not in _IDENTITY_OBJECTIVES:
            raise ValueError(
                f"booster {booster!r}, objective {objective!r}, {num_class} classes; accepted: "
                f"a gbtree regression with objective {' or '.join(_IDENTITY_OBJECTIVES)}"
            )
        self.objective = objective
        gbtree = _GBTREE_PARAM.unpack_from(view, pos)
        pos += _GBTREE_PARAM.size
        n_trees, size_leaf_vector = gbtree[0], gbtree[6]
        if n_trees <= 0 or size_leaf_vector != 0:
            raise ValueError(f"{n_trees} trees, leaf vectors of size {size_leaf_vector}")
        trees = []
        for _ in range(n_trees):
            param = _TREE_PARAM.unpack_from(view, pos)
            pos += _TREE_PARAM.size
            n_nodes = param[1]
            nodes = np.frombuffer(view, dtype=_NODE, count=n_nodes, offset=pos)
            pos += n_nodes * (_NODE.itemsize + _NODE_STAT_BYTES)
            trees.append(nodes)
        if pos + 4 * n_trees > len(view):
            raise ValueError("truncated before the tree groups")
        self._build(trees)

    def _build(self, trees: list[np.ndarray]) -> None:
        """All trees' nodes in flat arrays, children as global node ids."""
        sizes = np.array([len(t) for t in trees])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        nodes = np.concatenate(trees)
        base = np.repeat(offsets, sizes)
        leaf = nodes["left"] == -1
        self.n_trees = len(trees)
        self.roots = offsets.astype(np.int64)
        self.left = np.where(leaf, -1, nodes["left"] + base).astype(np.int64)
        self.right = np.where(leaf, -1, nodes["right"] + base).astype(np.int64)
        if ((nodes["left"] >= np.repeat(sizes, sizes)) & ~leaf).any():
            raise ValueError("a split links outside its tree")
        self.feature = np.where(leaf, 0, nodes["sindex"] & 0x7FFFFFFF).astype(np.intp)
        self.default_left = (nodes["sindex"] >> 31).astype(bool)
        self.threshold = np.where(leaf, np.float32(0), nodes["info"]).astype(np.float32)
        self.leaf_value = nodes["info"].astype(np.float32)
        self.max_depth = _check_links(self.left, self.right, self.feature, self.roots,
                                      self.n_features)
        # Children interleaved (left, right) by node; a leaf links to itself both ways, so a
        # row that reached its leaf stays there for the remaining levels.
        ids = np.arange(len(nodes))
        self.children = np.empty(2 * len(nodes), dtype=np.intp)
        self.children[0::2] = np.where(leaf, ids, self.left)
        self.children[1::2] = np.where(leaf, ids, self.right)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """float32 predictions of the rows of ``X`` (n, n_features)."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(
                f"{self.where}: the model takes {self.n_features} features, got shape {X.shape}"
            )
        out = np.empty(X.shape[0], dtype=np.float32)
        step = max(1, ROWS_X_TREES // self.n_trees)
        for start in range(0, X.shape[0], step):
            out[start : start + step] = self._predict_chunk(X[start : start + step])
        return out

    def _predict_chunk(self, X: np.ndarray) -> np.ndarray:
        nid = np.broadcast_to(self.roots, (X.shape[0], self.n_trees)).copy()
        flat = X.ravel()
        row_start = (np.arange(X.shape[0]) * X.shape[1])[:, None]
        missing = np.isnan(X).any()
        for _ in range(self.max_depth):
            x = flat[row_start + self.feature[nid]]
            go_right = ~(x < self.threshold[nid])  # the split's "value < threshold" goes left
            if missing:
                go_right = np.where(np.isnan(x), ~self.default_left[nid], go_right)
            nid = self.children[2 * nid + go_right]
        # Sequential float32 sum over the trees, as xgboost's per-row loop (cumsum does not pair).
        leaf_sum = np.cumsum(self.leaf_value[nid], axis=1, dtype=np.float32)[:, -1]
        return (self.base_score + leaf_sum).astype(np.float32)


def _read_string(view: memoryview, pos: int) -> tuple[str, int]:
    """A dmlc string: uint64 length, then the bytes."""
    (length,) = struct.unpack_from("<Q", view, pos)
    pos += 8
    if length > 1024:
        raise ValueError(f"implausible string length {length}")
    return bytes(view[pos : pos + length]).decode("utf-8"), pos + length


def _check_links(left: np.ndarray, right: np.ndarray, feature: np.ndarray, roots: np.ndarray,
                 n_features: int) -> int:
    """Check the nodes reachable from the roots (deleted nodes are not) and return the number
    of splits on the longest root-to-leaf path; a bad link or feature is refused."""
    frontier, depth, n_nodes = roots, 0, len(left)
    while True:
        frontier = frontier[left[frontier] >= 0]  # the splits among them
        if frontier.size == 0:
            return depth
        if (feature[frontier] >= n_features).any():
            raise ValueError(f"a split uses feature {int(feature[frontier].max())} of {n_features}")
        frontier = np.concatenate([left[frontier], right[frontier]])
        if ((frontier < 0) | (frontier >= n_nodes)).any():
            raise ValueError("a split links to a node that does not exist")
        depth += 1
        if depth > 1000:
            raise ValueError("deeper than 1000 levels: corrupt node links")


def xgboost_config(buffer: bytes) -> dict | None:
    """The JSON config stored after a 1.x serialization's binary model, if any."""
    if not buffer.startswith(SERIALISATION_HEADER):
        return None
    pos = len(SERIALISATION_HEADER)
    (length,) = struct.unpack_from("<q", buffer, pos)
    try:
        return json.loads(buffer[pos + 8 + length :])
    except ValueError:
        return None
