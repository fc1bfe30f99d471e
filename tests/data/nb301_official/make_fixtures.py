"""How the legacy fixtures here were made: members pickled exactly as nasbench301 saves them
(``pickle.dump(booster)`` as ``surrogate_model.model``, protocol 3 as Python 3.7 wrote it), by the
libraries of 2020, so that the loader is checked against the files it will meet.

Step 1, in this repository's environment, writes the inputs (56-dim encodings of random archs):

    python tests/data/nb301_official/make_fixtures.py encode /tmp/enc.json

Step 2, in a separate virtual environment with xgboost==1.2.1, lightgbm==2.3.1, numpy<2 and
scipy<1.12 (Python 3.11 runs them), trains and pickles 2 + 2 members on a synthetic target and
records the members' own predictions of the test archs:

    python make_fixtures.py train /tmp/enc.json tests/data/nb301_official
"""

from __future__ import annotations

import json
import os
import pickle
import sys


def encode(out: str) -> None:
    import numpy as np

    from benchmarks.nb301_official import encode_official
    from benchmarks.spaces.darts import DartsSpace

    space, rng = DartsSpace(), np.random.default_rng(301)
    train, test = space.sample(rng, 300), space.sample(rng, 16)
    with open(out, "w") as handle:
        json.dump({"train": encode_official(space, train).tolist(), "test_archs": test.tolist(),
                   "test": encode_official(space, test).tolist()}, handle)


def train(inputs: str, root: str) -> None:
    import lightgbm as lgb
    import numpy as np
    import xgboost as xgb

    with open(inputs) as handle:
        data = json.load(handle)
    X, X_test = np.array(data["train"]), np.array(data["test"])
    conv = ((X[:, [10, 11, 12, 13]] >= 3).sum(1) + (X[:, 32:] >= 3).sum(1)).astype(float)
    rng = np.random.RandomState(0)
    accuracy = 92 + 0.3 * conv + 0.5 * (X[:, 16] == 1) + rng.randn(len(X)) * 1.0
    runtime = 2000 + 250 * conv + rng.randn(len(X)) * 400
    expected: dict[str, list] = {"xgb_v1.0": [], "lgb_runtime_v1.0": []}
    for i in range(2):
        idx = rng.permutation(len(X))
        fit, val = idx[:240], idx[240:]
        folder = _member(root, "xgb_v1.0", i, {"model": "xgb", "param:max_depth": 3,
                                                "param:eta": 0.6, "early_stopping_rounds": 2})
        booster = xgb.train(
            {"objective": "reg:squarederror", "eval_metric": "rmse", "max_depth": 3, "eta": 0.6,
             "seed": i}, xgb.DMatrix(X[fit], label=accuracy[fit]), num_boost_round=40,
            early_stopping_rounds=2, evals=[(xgb.DMatrix(X[val], label=accuracy[val]), "val")],
            verbose_eval=False)
        _pickle(booster, folder)
        expected["xgb_v1.0"].append(booster.predict(xgb.DMatrix(X_test)).tolist())
        folder = _member(root, "lgb_runtime_v1.0", i, {"model": "lgb_time",
                                                        "param:num_leaves": 4,
                                                        "early_stopping_rounds": 2})
        booster = lgb.train(
            {"objective": "regression", "metric": "rmse", "num_leaves": 4, "learning_rate": 0.6,
             "seed": i, "verbose": -1}, lgb.Dataset(X[fit], label=runtime[fit]),
            num_boost_round=40, early_stopping_rounds=2,
            valid_sets=[lgb.Dataset(X[val], label=runtime[val])], verbose_eval=False)
        _pickle(booster, folder)
        expected["lgb_runtime_v1.0"].append(booster.predict(X_test).tolist())
    with open(os.path.join(root, "expected.json"), "w") as handle:
        json.dump({"libraries": {"xgboost": xgb.__version__, "lightgbm": lgb.__version__},
                   "archs": data["test_archs"], "members": expected}, handle, indent=0)


def _member(root: str, ensemble: str, i: int, model_config: dict) -> str:
    folder = os.path.join(root, "nb_models", ensemble, f"ensemble_member_{i}")
    os.makedirs(folder)
    for name, content in (("model_config.json", model_config), ("data_config.json", {"seed": i})):
        with open(os.path.join(folder, name), "w") as handle:
            json.dump(content, handle)
    return folder


def _pickle(booster, folder: str) -> None:
    with open(os.path.join(folder, "surrogate_model.model"), "wb") as handle:
        pickle.dump(booster, handle, protocol=3)


if __name__ == "__main__":
    {"encode": encode, "train": train}[sys.argv[1]](*sys.argv[2:])
