"""Benchmark names and their loaders. Loading is lazy and cached: one instance per process."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from benchmarks.base import Benchmark
from benchmarks.nbgraph import NAMES as NBGRAPH_NAMES  # the name lists only; tables load lazily
from benchmarks.tnb101 import NAMES as TNB101_NAMES


def _nb201(name: str, tables: str | None = None) -> Benchmark:
    from benchmarks.nb201 import NB201Benchmark

    return NB201Benchmark(name, tables=tables)


def _nb301(name: str, **options) -> Benchmark:
    from benchmarks.nb301 import load as load_nb301

    return load_nb301(name, **options)


def _nbgraph(name: str) -> Benchmark:
    from benchmarks.nbgraph import NBGraphBenchmark

    return NBGraphBenchmark(name)


def _tnb101(name: str) -> Benchmark:
    from benchmarks.tnb101 import TNB101Benchmark

    return TNB101Benchmark(name)


_LOADERS: dict[str, Callable[[str], Benchmark]] = {
    "nb201-cifar10": _nb201,
    "nb201-cifar100": _nb201,
    "nb201-imagenet16-120": _nb201,
    "nb301-cifar10": _nb301,
    **dict.fromkeys(TNB101_NAMES, _tnb101),
    **dict.fromkeys(NBGRAPH_NAMES, _nbgraph),
}


# Keyword options a benchmark's loader takes (``load(name, **options)``); others take none.
NB201_NAMES = ("nb201-cifar10", "nb201-cifar100", "nb201-imagenet16-120")
OPTIONS: dict[str, tuple[str, ...]] = {"nb301-cifar10": ("official_models", "official_runtime"),
                                       **dict.fromkeys(NB201_NAMES, ("tables",))}
# Options a process applies to every load() that does not give them (use_nb201_tables).
_DEFAULT_OPTIONS: dict[str, dict[str, str]] = {}


def use_nb201_tables(folder: str | None) -> None:
    """Make every ``load("nb201-...")`` of this process that gives no ``tables`` use the tables
    built in ``folder`` (None: the shipped ones again). What ``--nb201-tables`` does in the
    CLIs that load benchmarks by name; jobs sent to other processes carry the option instead."""
    from benchmarks.nb201 import tables_folder

    for name in NB201_NAMES:
        if folder is None:
            _DEFAULT_OPTIONS.pop(name, None)
        else:
            _DEFAULT_OPTIONS[name] = {"tables": tables_folder(folder)}


def names() -> list[str]:
    """Every benchmark name, in a stable order."""
    return list(_LOADERS)


def load(name: str, **options: str) -> Benchmark:
    """The benchmark called ``name``; tables are checked against their SHA-256 manifest.
    ``options`` configure a benchmark that takes them (``OPTIONS``), e.g.
    ``load("nb301-cifar10", official_models="nb_models_1.0")`` or
    ``load("nb201-cifar10", tables="nb201-official")`` (tables built from the official
    archive); one instance per distinct call."""
    options = {**_DEFAULT_OPTIONS.get(name, {}), **options}
    if name in NB201_NAMES and options.get("tables", "") is None:
        del options["tables"]  # the shipped tables: the same instance as load(name)
    if name in NB201_NAMES and options.get("tables") is not None:
        from benchmarks.nb201 import tables_folder

        options["tables"] = tables_folder(options["tables"])
    return _load(name, **options)


@cache
def _load(name: str, **options: str) -> Benchmark:
    loader = _LOADERS.get(name)
    if loader is None:
        raise ValueError(f"unknown benchmark {name!r}; accepted: {', '.join(names())}")
    unknown = sorted(set(options) - set(OPTIONS.get(name, ())))
    if unknown:
        raise ValueError(
            f"unknown option(s) {', '.join(unknown)} for benchmark {name}; accepted: "
            f"{', '.join(OPTIONS.get(name, ())) or 'none'}"
        )
    return loader(name, **options)
