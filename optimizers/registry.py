"""Optimizers by name: the built-in ones, names that installed distributions register under the
entry-point group ``nas_harness.optimizers``, and ``package.module:ClassName`` import paths.

A plugin is checked when it loads (``check``): it subclasses ``optimizers.base.Optimizer`` and
implements ``ask``, its ``Config`` is a dataclass (the hyperparameters a run records and
``--set`` changes), its ``name`` is a folder-safe word that is not a built-in's, and an entry
point's name is the class's ``name``. A refusal is a ``harness.plugins.PluginError`` naming
what is wrong.
"""

from __future__ import annotations

import dataclasses
import inspect
import re

from harness import plugins
from optimizers.asha import ASHA
from optimizers.bananas import Bananas
from optimizers.base import Optimizer
from optimizers.bohb import BOHB
from optimizers.hyperband import Hyperband, SuccessiveHalving
from optimizers.lce_stopping import BananasLCE, RegularizedEvolutionLCE
from optimizers.local_search import LocalSearch
from optimizers.mo_random_search import MORandomSearch
from optimizers.mo_regularized_evolution import MORegularizedEvolution
from optimizers.nsga2 import NSGA2
from optimizers.parego import ParEGO
from optimizers.random_search import RandomSearch
from optimizers.regularized_evolution import RegularizedEvolution
from optimizers.reinforce import Reinforce
from optimizers.xnas import XNAS

OPTIMIZERS: dict[str, type[Optimizer]] = {
    cls.name: cls
    for cls in (RandomSearch, RegularizedEvolution, LocalSearch, Bananas, XNAS, Reinforce,
                SuccessiveHalving, Hyperband, ASHA, BOHB, RegularizedEvolutionLCE, BananasLCE)
}
GROUP = plugins.OPTIMIZER_GROUP
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")

# Multi-objective optimizers (``--objectives``): their incumbent is a set; kept apart so that
# ``names()`` stays the single-objective ones every benchmark runs.
MULTI_OBJECTIVE: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (MORandomSearch, NSGA2, MORegularizedEvolution, ParEGO)
}
_BUILTIN = {**OPTIMIZERS, **MULTI_OBJECTIVE}


def builtin_names() -> list[str]:
    """The optimizers that ship with the package (the suite and the stored baselines)."""
    return list(OPTIMIZERS)


def names() -> list[str]:
    """Built-in names, then the names installed distributions register (nothing imported)."""
    return builtin_names() + [n for n in plugins.installed(GROUP) if n not in _BUILTIN]


def multi_objective_names() -> list[str]:
    """The built-in multi-objective optimizers (``--objectives``)."""
    return list(MULTI_OBJECTIVE)


def all_names() -> list[str]:
    """Every name ``get`` resolves without an import path."""
    return [*builtin_names(), *MULTI_OBJECTIVE,
            *(n for n in plugins.installed(GROUP) if n not in _BUILTIN)]


def is_multi_objective(name: str) -> bool:
    """Whether the optimizer's incumbent is a set (it subclasses MultiObjectiveOptimizer)."""
    return bool(getattr(get(name), "multi_objective", False))


def get(name: str) -> type[Optimizer]:
    """The optimizer class for a built-in name, an installed entry-point name, or a
    ``package.module:ClassName``; ValueError (a ``PluginError`` for a bad plugin) otherwise."""
    name = name.strip()
    if name in _BUILTIN:
        return _BUILTIN[name]
    plugin = plugins.resolve(name, GROUP, "optimizer", check)
    if plugin is not None:
        return plugin
    raise ValueError(f"unknown optimizer {name!r}; accepted: {', '.join(all_names())}, or "
                     "package.module:ClassName")


def is_builtin(cls: type) -> bool:
    return _BUILTIN.get(getattr(cls, "name", None)) is cls


def check(cls: object, source: str | None = None) -> type[Optimizer]:
    """``cls`` if it is a usable optimizer class; PluginError naming what is wrong."""
    what = f"optimizer {source or getattr(cls, '__qualname__', cls)!r}"
    if not inspect.isclass(cls) or not issubclass(cls, Optimizer):
        raise plugins.PluginError(f"{what} is not a subclass of optimizers.base.Optimizer "
                                  f"(got {cls!r})")
    if is_builtin(cls):
        return cls
    if inspect.isabstract(cls):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise plugins.PluginError(f"{what} does not implement {missing}")
    config = getattr(cls, "Config", None)
    if not (inspect.isclass(config) and dataclasses.is_dataclass(config)):
        raise plugins.PluginError(f"{what}: its Config ({config!r}) is not a dataclass of "
                                  "hyperparameters")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise plugins.PluginError(f"{what}: its name {name!r} must be a word of letters, digits, "
                                  "'_' and '-' (it names result folders)")
    if name in _BUILTIN:
        raise plugins.PluginError(f"{what}: its name {name!r} clashes with the built-in "
                                  f"optimizer {name!r}; built-in names: "
                                  f"{', '.join(_BUILTIN)}")
    return cls
