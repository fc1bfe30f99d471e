"""OMNI (NGBoost, White et al. 2021 / NASLib omni_ngb), omni-xgb, and the zero-cost paths of the
predictor evaluation."""

import numpy as np
import pytest
from scipy.stats import kendalltau

pytest.importorskip("xgboost")
pytest.importorskip("ngboost")

import benchmarks  # noqa: E402
from benchmarks.networks import nb201_cost  # noqa: E402
from predictors import evaluate, omni  # noqa: E402
from predictors.omni import OmniPredictor  # noqa: E402
from predictors.omni_xgb import OmniXGBPredictor  # noqa: E402
from predictors.xgb import XGBPredictor  # noqa: E402


def _split(pool, seed, n_train, n_test=300):
    order = np.random.default_rng(seed).permutation(len(pool))
    return pool[order[:n_train]], pool[order[n_train:n_train + n_test]]


def _info(bench, archs, needs, seed):
    return evaluate.build_info(bench, archs, needs,
                               evaluate.InfoArgs(None, seed, np.random.default_rng(seed)))


def test_omni_defaults_are_naslib_omni_ngb():
    """runner.py's omni_ngb: adjacency one-hot, zero_cost=["jacov"], lce=["sotle"], and
    OmniNGBPredictor's n_hypers=35 with cross_val_score(cv=3)."""
    nb201, nb301 = benchmarks.load("nb201-cifar10"), benchmarks.load("nb301-cifar10")
    model = OmniPredictor(nb201.space)
    assert (model.n_hypers, model.cv_folds) == (35, 3)
    assert model.proxies == ("jacov",) and model.lce == ("sotle",)
    assert model.encoding == "onehot"  # = NASLib's adjacency_one_hot on a one-op-per-edge cell
    assert OmniPredictor(nb301.space).encoding == "adjacency"
    with pytest.raises(ValueError, match="accepted: sotle, valacc"):
        OmniPredictor(nb201.space, lce=("sotl",))


def test_random_params_span_naslib_search_space_and_clip_to_the_training_set():
    rng = np.random.default_rng(0)
    draws = [omni.random_params(rng, 300) for _ in range(3000)]

    def values(group, key):
        return np.array([d[group][key] for d in draws])

    n_est = values("param", "n_estimators")
    assert n_est.min() >= 128 and n_est.max() <= 511 and n_est.max() > 480
    lr = values("param", "learning_rate")
    assert lr.min() >= 0.001 and lr.max() <= 0.1
    assert np.median(np.log10(lr)) == pytest.approx(-2.0, abs=0.1)  # log-uniform
    frac = values("param", "minibatch_frac")
    assert frac.min() >= 0.1 and frac.max() <= 1.0
    assert set(values("base", "max_depth")) == set(range(1, 25))
    assert set(values("base", "min_samples_leaf")) == set(range(2, 20))
    assert set(values("base", "min_samples_split")) == set(range(2, 20))
    feats = values("base", "max_features")
    assert feats.min() >= 0.1 and feats.max() <= 1.0
    # run_hpo: max(2, min(v, int(n / 3) - 1)); with 25 training archs at most 7
    small = [omni.random_params(rng, 25)["base"] for _ in range(500)]
    assert max(p["min_samples_leaf"] for p in small) == 7
    assert min(p["min_samples_split"] for p in small) == 2


def test_omni_is_an_ngboost_fitted_after_a_cross_validated_search():
    """Would have caught "omni is XGBoost": the fitted model is NASLib's NGBoost, its parameters
    are the trial with the lowest 3-fold held-out NLL, and that NLL is what plain ngboost (scipy
    Normal) and scikit-learn's KFold give; the first feature is z-normalized jacov."""
    from ngboost import NGBRegressor
    from ngboost.distns import Normal
    from sklearn.model_selection import KFold
    from sklearn.tree import DecisionTreeRegressor

    bench = benchmarks.load("nb201-cifar10")
    train, test = _split(evaluate.zc_pool("nb201-cifar10"), 0, 30, 50)
    y = bench.query(train, "valid_acc")
    info = _info(bench, train, OmniPredictor.needs, 0)
    model = OmniPredictor(bench.space, rng=np.random.default_rng(0), n_hypers=3)
    model.fit(train, y, info)
    assert isinstance(model.model_, NGBRegressor)
    assert issubclass(model.model_.Dist, Normal)
    assert isinstance(model.model_.Base, DecisionTreeRegressor)
    assert model.model_.Base.criterion == "friedman_mse"
    assert len(model.trials_) == 3
    scores = [t["cv_nll"] for t in model.trials_]
    assert model.best_params_ == model.trials_[int(np.argmin(scores))]["params"]
    assert model.model_.n_estimators == model.best_params_["param"]["n_estimators"]
    # one trial's score recomputed with plain ngboost: same folds, same value
    params, seed = model.trials_[0]["params"], 123
    target = (y - y.mean()) / y.std()
    X = model._matrix(train, info, fitting=False)
    nlls = []
    for tr, held in KFold(3).split(X):
        base = DecisionTreeRegressor(criterion="friedman_mse", **params["base"])
        ref = NGBRegressor(Dist=Normal, Base=base, verbose=False, random_state=seed,
                           **params["param"]).fit(X[tr], target[tr])
        nlls.append(-ref.pred_dist(X[held]).logpdf(target[held]).mean())
    assert omni.cv_nll(params, X, target, seed) == pytest.approx(np.mean(nlls), rel=1e-9)
    # features: z-normalized jacov (training statistics), then the one-hot encoding
    assert model.feature_names_[0] == "zc:jacov"
    assert model.feature_names_[1:] == [f"onehot:{i}" for i in range(30)]
    table_jacov = info["zc"][:, list(info["zc_proxies"]).index("jacov")]
    np.testing.assert_allclose(X[:, 0], (table_jacov - table_jacov.mean()) / table_jacov.std())
    test_info = _info(bench, test, OmniPredictor.needs, 0)
    test_jacov = test_info["zc"][:, list(test_info["zc_proxies"]).index("jacov")]
    X_test = model._matrix(test, test_info, fitting=False)
    np.testing.assert_allclose(  # test scores normalized with the training statistics
        X_test[:, 0], (test_jacov - table_jacov.mean()) / table_jacov.std())
    assert model.predict(test, test_info).shape == (50,)


def test_learning_curve_features_when_three_epochs_are_seen():
    """NASLib's prepare_features: sotle and valacc at the last seen epoch, z-normalized within
    their own set, only from 3 epochs on; predict must get the same kinds of information."""
    bench = benchmarks.load("nb201-cifar10")
    archs = evaluate.curve_pool("nb201-cifar10")[:60]
    y = bench.query(archs, "valid_acc")
    flops = nb201_cost.flops(archs, "cifar10")[:, None]
    train_curve = bench.learning_curves(archs, "train_acc")
    valid_curve = bench.learning_curves(archs, "valid_acc")
    info = {"zc": flops, "zc_proxies": ("flops",),
            "train_curve": train_curve[:, :5], "curve": valid_curve[:, :5]}
    model = OmniPredictor(bench.space, rng=np.random.default_rng(1), proxies=("flops",),
                          lce=("sotle", "valacc"), n_hypers=2)
    model.fit(archs[:40], y[:40], {k: v if isinstance(v, tuple) else v[:40]
                                   for k, v in info.items()})
    assert model.feature_names_[:3] == ["zc:flops", "lc:sotle", "lc:valacc"]
    test_info = {k: v if isinstance(v, tuple) else v[40:] for k, v in info.items()}
    X = model._matrix(archs[40:], test_info, fitting=False)
    last = train_curve[40:, 4]
    np.testing.assert_allclose(X[:, 1], (last - last.mean()) / last.std())
    last = valid_curve[40:, 4]
    np.testing.assert_allclose(X[:, 2], (last - last.mean()) / last.std())
    assert np.isfinite(model.predict(archs[40:], test_info)).all()
    with pytest.raises(ValueError, match="same information"):
        model.predict(archs[40:], {"zc": flops[40:], "zc_proxies": ("flops",)})
    # two epochs seen: NASLib leaves the curve features out
    short = {"zc": flops[:40], "zc_proxies": ("flops",), "train_curve": train_curve[:40, :2],
             "curve": valid_curve[:40, :2]}
    model = OmniPredictor(bench.space, rng=np.random.default_rng(1), proxies=("flops",),
                          lce=("sotle", "valacc"), n_hypers=1).fit(archs[:40], y[:40], short)
    assert model.feature_names_[:2] == ["zc:flops", "onehot:0"]


def test_omni_tau_on_the_suite_zero_archs():
    """Seeded: nb201-cifar10's NAS-Bench-Suite-Zero archs, 50 train, 300 test, seed 0, 5 trials
    (the default 35 take minutes). Measured: tau 0.678; xgb on the encoding alone 0.464."""
    bench = benchmarks.load("nb201-cifar10")
    train, test = _split(evaluate.zc_pool("nb201-cifar10"), 0, 50)
    y_train, y_test = bench.query(train, "valid_acc"), bench.query(test, "valid_acc")
    model = OmniPredictor(bench.space, rng=np.random.default_rng(0), n_hypers=5)
    model.fit(train, y_train, _info(bench, train, OmniPredictor.needs, 0))
    pred = model.predict(test, _info(bench, test, OmniPredictor.needs, 0))
    tau = kendalltau(pred, y_test)[0]
    assert 0.63 <= tau <= 0.73, tau
    xgb = XGBPredictor(bench.space, rng=np.random.default_rng(0)).fit(train, y_train)
    assert tau > kendalltau(xgb.predict(test), y_test)[0] + 0.15


def test_omni_xgb_beats_its_encoding_alone_on_the_same_archs():
    """XGBoost on the encoding plus six zero-cost features ranks better than either alone.
    Measured here (seeds 0-1, 100 train, 300 test, nb201-cifar10): omni-xgb 0.78, xgb 0.45,
    the best single precomputed proxy 0.61."""
    bench = benchmarks.load("nb201-cifar10")
    pool = evaluate.zc_pool("nb201-cifar10")
    assert 700 <= pool.shape[0] <= 725  # NAS-Bench-Suite-Zero: 725 archs, a few lack a proxy
    taus = {"omni-xgb": [], "xgb": [], "best proxy": []}
    for seed in range(2):
        train, test = _split(pool, seed, 100)
        y_train, y_test = bench.query(train, "valid_acc"), bench.query(test, "valid_acc")
        for name, cls in (("omni-xgb", OmniXGBPredictor), ("xgb", XGBPredictor)):
            model = cls(bench.space, rng=np.random.default_rng(seed))
            pred = model.fit(train, y_train, _info(bench, train, cls.needs, seed)).predict(
                test, _info(bench, test, cls.needs, seed))
            taus[name].append(kendalltau(pred, y_test)[0])
        zc = _info(bench, test, frozenset({"zc"}), seed)["zc"]
        taus["best proxy"].append(max(kendalltau(col, y_test)[0] for col in zc.T))
    assert 0.70 <= np.mean(taus["omni-xgb"]) <= 0.88
    assert np.mean(taus["omni-xgb"]) > np.mean(taus["xgb"]) + 0.15
    # not worse than its best component alone (measured: best single proxy 0.61)
    assert np.mean(taus["omni-xgb"]) > np.mean(taus["best proxy"]) + 0.05, taus


def test_precomputed_zero_cost_evaluation_and_unmet_needs(tmp_path, capsys):
    out = tmp_path / "zc"
    assert evaluate.main(["--predictor", "jacov,flops", "--bench", "nb201-cifar100",
                          "--test-size", "200", "--seeds", "2", "--zc-source", "precomputed",
                          "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "4 job(s) executed" in printed
    with pytest.raises(SystemExit) as info:  # TNB101 has no synflow in NAS-Bench-Suite-Zero
        evaluate.main(["--predictor", "synflow", "--bench", "tnb101-micro-jigsaw",
                       "--zc-source", "precomputed", "--out", str(tmp_path / "x")])
    assert info.value.code == 2
    assert "no NAS-Bench-Suite-Zero synflow scores" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # computing needs a minibatch of real images
        evaluate.main(["--predictor", "nwot", "--bench", "nb201-cifar10",
                       "--out", str(tmp_path / "y")])
    assert info.value.code == 2
    assert "give --data-dir" in capsys.readouterr().err
