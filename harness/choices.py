"""Comma-separated choices on the command line (``--optimizer rs,re --bench nb201-cifar10``),
read the same way by every CLI of the project."""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType


def parse_names(text: str | None, accepted: Sequence[str], what: str) -> list[str]:
    """The distinct names of ``text`` in the order given; ValueError names the first unknown
    one (or the empty list) and the ``accepted`` names."""
    chosen = [t.strip() for t in (text or "").split(",") if t.strip()]
    if not chosen:
        raise ValueError(f"no {what} given; accepted: {', '.join(accepted)}")
    for name in chosen:
        if name not in accepted:
            raise ValueError(f"unknown {what} {name!r}; accepted: {', '.join(accepted)}")
    return list(dict.fromkeys(chosen))



def parse_methods(given: str | type | Sequence[str | type] | None, registry: ModuleType,
                  what: str) -> dict[str, type]:
    """``--optimizer rs,mypkg.mod:MyOptimizer`` -> {name: class}, in the order given.

    ``given`` is comma-separated text (a CLI flag) or, from the Python API, a class or a
    sequence of names, import paths and classes. A name is a built-in's or one an installed
    distribution registers; ``registry`` (``optimizers.registry`` or ``predictors.registry``)
    resolves and checks each item, so a plugin that fails its checks raises
    ``harness.plugins.PluginError``, a ValueError naming what is wrong. Keys are the classes'
    ``name``s, which name the result folders; two classes of one name are refused, and so is a
    plugin class that a worker process could not import by its path."""
    from harness import plugins

    if isinstance(given, str) or given is None:
        items: list = [t.strip() for t in (given or "").split(",") if t.strip()]
    elif isinstance(given, type):
        items = [given]
    else:
        items = list(given)
    if not items:
        raise ValueError(f"no {what} given; accepted: {', '.join(registry.names())}, or "
                         "package.module:ClassName")
    chosen: dict[str, type] = {}
    for item in dict.fromkeys(items):
        cls = registry.get(item) if isinstance(item, str) else registry.check(item)
        name = cls.name
        if chosen.get(name, cls) is not cls:
            raise ValueError(f"two {what}s named {name!r} ({item!r} and another); a name "
                             "must be unique in a run")
        chosen[name] = cls
        if not registry.is_builtin(cls):
            path = plugins.import_path(cls)
            try:
                found = plugins.load(path, what)
            except plugins.PluginError:
                found = None
            if found is not cls:
                raise plugins.PluginError(f"{what} {name!r} cannot be imported by its path "
                                          f"{path!r}: define it at the top level of a module")
    return chosen
