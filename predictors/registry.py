"""Predictors by name: the built-in ones (imported lazily: torch-based predictors load torch
only when used), names that installed distributions register under the entry-point group
``nas_harness.predictors``, and ``package.module:ClassName`` import paths.

A plugin is checked when it loads (``check``): it follows the predictor protocol of
``predictors.base`` (a class with a ``predict``, a boolean ``requires_fit`` and a ``fit`` when
it is True, ``needs`` within ``predictors.base.NEEDS``, a constructor taking
``(space, rng=...)``), its ``name`` is a folder-safe word that is not a built-in's, and an
entry point's name is the class's ``name``. A predictor's hyperparameters are its
constructor's keyword arguments, as in scikit-learn (the evaluation records them); a
``Config``, where a plugin has one, must be a dataclass. A refusal is a
``harness.plugins.PluginError`` naming what is wrong.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from importlib import import_module

from harness import plugins
from predictors.base import NEEDS, Predictor

# name -> "module:ClassName"; one line per predictor.
_PREDICTORS: dict[str, str] = {
    "mlp": "predictors.mlp_ensemble:MLPEnsemblePredictor",
    "gp": "predictors.gp:GPPredictor",
    "xgb": "predictors.xgb:XGBPredictor",
    "lce": "predictors.lce:LCEPredictor",
    "sotla": "predictors.sotla:SoTLAPredictor",
    "omni": "predictors.omni:OmniPredictor",
    "omni-xgb": "predictors.omni_xgb:OmniXGBPredictor",
    "synflow": "predictors.zerocost:Synflow",
    "snip": "predictors.zerocost:Snip",
    "grasp": "predictors.zerocost:Grasp",
    "fisher": "predictors.zerocost:Fisher",
    "grad_norm": "predictors.zerocost:GradNorm",
    "jacov": "predictors.zerocost:Jacov",
    "nwot": "predictors.zerocost:Nwot",
    "params": "predictors.zerocost:Params",
    "flops": "predictors.zerocost:Flops",
}
GROUP = plugins.PREDICTOR_GROUP
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
# "precomputed": a zero-cost proxy read from NAS-Bench-Suite-Zero's tables
_KNOWN_NEEDS = frozenset(NEEDS) | {"precomputed"}


def builtin_names() -> list[str]:
    """The predictors that ship with the package (the predictors suite and its baseline)."""
    return list(_PREDICTORS)


def names() -> list[str]:
    """Built-in names, then the names installed distributions register (nothing imported)."""
    return builtin_names() + [n for n in plugins.installed(GROUP) if n not in _PREDICTORS]


def get(name: str) -> type[Predictor]:
    """The predictor class for a built-in name, an installed entry-point name, or a
    ``package.module:ClassName``; ValueError (a ``PluginError`` for a bad plugin) otherwise."""
    name = name.strip()
    target = _PREDICTORS.get(name)
    if target is not None:
        module, _, cls = target.partition(":")
        return getattr(import_module(module), cls)
    plugin = plugins.resolve(name, GROUP, "predictor", check)
    if plugin is not None:
        return plugin
    raise ValueError(f"unknown predictor {name!r}; accepted: {', '.join(names())}, or "
                     "package.module:ClassName")


def is_builtin(cls: type) -> bool:
    target = _PREDICTORS.get(getattr(cls, "name", None))
    return target is not None and target == plugins.import_path(cls)


def check(cls: object, source: str | None = None) -> type[Predictor]:
    """``cls`` if it follows the predictor protocol; PluginError naming what is wrong."""
    what = f"predictor {source or getattr(cls, '__qualname__', cls)!r}"
    if not inspect.isclass(cls):
        raise plugins.PluginError(f"{what} is not a class (got {cls!r})")
    if is_builtin(cls):
        return cls
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise plugins.PluginError(f"{what} does not implement {missing}")
    requires_fit = getattr(cls, "requires_fit", None)
    if not isinstance(requires_fit, bool):
        raise plugins.PluginError(f"{what}: requires_fit must be True or False (got "
                                  f"{requires_fit!r}; False: it scores archs without training)")
    for method in ("predict", "fit") if requires_fit else ("predict",):
        if not callable(getattr(cls, method, None)):
            raise plugins.PluginError(f"{what} has no {method}(archs, ...) method (the "
                                      "protocol of predictors.base.Predictor)")
    needs = getattr(cls, "needs", None)
    if not isinstance(needs, (set, frozenset)) or not needs <= _KNOWN_NEEDS:
        raise plugins.PluginError(f"{what}: its needs {needs!r} must be a set within "
                                  f"{', '.join(sorted(_KNOWN_NEEDS))}")
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        params = {}
    if "space" not in params or "rng" not in params:
        raise plugins.PluginError(f"{what}: its constructor must take (space, rng=...), as "
                                  "predictors.base.Predictor's does")
    config = getattr(cls, "Config", None)
    if config is not None and not (inspect.isclass(config) and dataclasses.is_dataclass(config)):
        raise plugins.PluginError(f"{what}: its Config ({config!r}) is not a dataclass")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise plugins.PluginError(f"{what}: its name {name!r} must be a word of letters, digits, "
                                  "'_' and '-' (it names result folders)")
    if name in _PREDICTORS:
        raise plugins.PluginError(f"{what}: its name {name!r} clashes with the built-in "
                                  f"predictor {name!r}; built-in names: "
                                  f"{', '.join(_PREDICTORS)}")
    return cls
