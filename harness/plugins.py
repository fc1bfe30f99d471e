"""Methods from outside the package: ``package.module:ClassName`` on any command line, or a name
an installed distribution registers under an entry-point group (``nas_harness.optimizers``,
``nas_harness.predictors``).

This module holds what optimizers and predictors share: finding the class, and describing where
it came from (its import path and its distribution's version, which every result records, so a
result says exactly what ran). What makes a class acceptable is the registries' business
(``optimizers.registry.check``, ``predictors.registry.check``); a refusal is a ``PluginError``
naming the plugin and what is wrong, which every CLI turns into exit code 2.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module, metadata

OPTIMIZER_GROUP = "nas_harness.optimizers"
PREDICTOR_GROUP = "nas_harness.predictors"
_IMPORT_PATH = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")


class PluginError(ValueError):
    """A plugin could not be loaded or does not follow the protocol; the message says why."""


@dataclass(frozen=True)
class Installed:
    """A name an installed distribution registers under an entry-point group."""

    name: str
    target: str  # "module:ClassName"
    distribution: str | None
    version: str | None


def is_import_path(text: str) -> bool:
    """``package.module:ClassName`` (as opposed to a registered name)."""
    return bool(_IMPORT_PATH.fullmatch(text.strip()))


def import_path(cls: type) -> str:
    """The ``module:QualifiedName`` a worker process imports ``cls`` by."""
    return f"{cls.__module__}:{cls.__qualname__}"


def load(target: str, what: str) -> type:
    """The object ``target`` (``module:Name``) names; PluginError when the module cannot be
    imported or lacks the name."""
    module_name, _, attribute = target.strip().partition(":")
    try:
        obj = import_module(module_name)
    except ImportError as error:
        raise PluginError(f"{what} {target!r}: cannot import module {module_name!r} "
                          f"({error})") from None
    except Exception as error:  # noqa: BLE001 - a plugin's own bug, reported without traceback
        raise PluginError(f"{what} {target!r}: importing module {module_name!r} failed: "
                          f"{type(error).__name__}: {error}") from None
    for part in attribute.split("."):
        if not hasattr(obj, part):
            raise PluginError(f"{what} {target!r}: module {module_name!r} has no "
                              f"{attribute!r}") from None
        obj = getattr(obj, part)
    return obj


def installed(group: str) -> dict[str, Installed]:
    """Every name registered under the entry-point ``group`` by an installed distribution
    (nothing is imported)."""
    found = {}
    for entry in sorted(metadata.entry_points(group=group), key=lambda e: e.name):
        dist = getattr(entry, "dist", None)
        found[entry.name] = Installed(entry.name, entry.value,
                                      dist.metadata["Name"] if dist else None,
                                      dist.version if dist else None)
    return found


def load_installed(group: str, name: str, what: str) -> type:
    """The class registered as ``name`` under ``group``."""
    entry = installed(group)[name]
    return load(entry.target, f"{what} {name!r} (entry point of {entry.distribution})")


def resolve(name: str, group: str, what: str, check: Callable[[object, str], type]) -> type | None:
    """The plugin class ``name`` denotes, checked by ``check``: a ``package.module:ClassName``
    or a name registered under the entry-point ``group`` (whose class must carry that name);
    None when ``name`` is neither. One rule for optimizers and predictors alike."""
    if is_import_path(name):
        return check(load(name, what), name)
    if name not in installed(group):
        return None
    cls = check(load_installed(group, name, what), name)
    if cls.name != name:
        raise PluginError(f"{what} entry point {name!r} loads a class named {cls.name!r}; "
                          "register it under its own name")
    return cls


def provenance(cls: type) -> dict:
    """Where ``cls`` comes from: its import path, and the distribution that installed its
    top-level package with its version (None for a module that no installed distribution
    provides, e.g. a file on ``sys.path``)."""
    top = cls.__module__.split(".")[0]
    dists = _distributions().get(top, [])
    name = dists[0] if dists else None
    version = None
    if name is not None:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            name = None
    return {"import_path": import_path(cls), "distribution": name, "version": version}


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    """Top-level module -> distributions providing it, including editable installs, whose
    files list only a path hook: their ``top_level.txt`` or their entry points name it."""
    found = {k: list(v) for k, v in metadata.packages_distributions().items()}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        tops = set((dist.read_text("top_level.txt") or "").split())
        tops |= {e.value.split(":")[0].split(".")[0] for e in dist.entry_points
                 if e.group in (OPTIMIZER_GROUP, PREDICTOR_GROUP)}
        for top in tops:
            if name not in found.setdefault(top, []):
                found[top].append(name)
    return found
