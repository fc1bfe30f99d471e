"""Optimizer hyperparameters from the command line: ``--set re.population_size=20``.

Each setting names an optimizer, one field of its config dataclass and a value, which is read
as the field's declared type (int, float, bool, str, or ``none`` where the field may be None),
so that a typo or a value of the wrong kind stops the run before any job starts, with the
accepted names or the expected type in the message. The config's own checks (for example
XNAS's ``samples_per_step >= 2``) run when the harness builds the config.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

import optimizers
import optimizers.registry

SETTING = re.compile(r"([A-Za-z0-9_-]+)\.([A-Za-z_]\w*)=(.*)")
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")


def parse_settings(settings: Iterable[str],
                   classes: Mapping[str, type] | None = None) -> dict[str, dict[str, Any]]:
    """``["re.population_size=20", "ls.first_improvement=true"]`` ->
    ``{"re": {"population_size": 20}, "ls": {"first_improvement": True}}``; ValueError names
    the bad setting and what is accepted. A name set twice keeps its last value. ``classes``
    (name -> optimizer class) adds the run's plugins to the names accepted."""
    classes = dict(classes or {})
    parsed: dict[str, dict[str, Any]] = {}
    for setting in settings:
        match = SETTING.fullmatch(setting.strip())
        if not match:
            raise ValueError(f"bad --set {setting!r}: expected OPTIMIZER.NAME=VALUE, e.g. "
                             "re.population_size=20")
        name, field, raw = match.groups()
        accepted = list(dict.fromkeys([*optimizers.registry.builtin_names(),
                                      *optimizers.multi_objective_names(), *classes]))
        if name not in accepted:
            raise ValueError(f"bad --set {setting!r}: unknown optimizer {name!r}; accepted: "
                             f"{', '.join(accepted)}")
        config = (classes.get(name) or optimizers.get(name)).Config
        kinds = typing.get_type_hints(config)
        fields = [f.name for f in dataclasses.fields(config)]
        if field not in fields:
            raise ValueError(f"bad --set {setting!r}: {name} has no hyperparameter {field!r}; "
                             f"accepted: {', '.join(fields) or 'none'}")
        parsed.setdefault(name, {})[field] = _coerce(setting, raw, kinds[field])
    return parsed


def _coerce(setting: str, raw: str, kind: Any) -> Any:
    """``raw`` as a value of the annotation ``kind``."""
    options = typing.get_args(kind) if isinstance(kind, types.UnionType) or (
        typing.get_origin(kind) is typing.Union) else (kind,)
    if type(None) in options and raw.strip().lower() in ("none", "null"):
        return None
    for option in (o for o in options if o is not type(None)):
        value = _as(raw.strip(), option)
        if value is not None:
            return value
    expected = " or ".join(getattr(o, "__name__", str(o)) for o in options)
    accepted = f" ({', '.join(TRUE + FALSE)})" if bool in options else ""
    raise ValueError(f"bad --set {setting!r}: {raw!r} is not of type {expected}{accepted}")


def _as(text: str, kind: type) -> Any:
    """``text`` read as ``kind``, or None when it is not one."""
    if kind is bool:
        lowered = text.lower()
        return True if lowered in TRUE else False if lowered in FALSE else None
    if kind is int:
        return int(text) if re.fullmatch(r"[+-]?\d+", text) else None
    if kind is float:
        try:
            return float(text)
        except ValueError:
            return None
    if kind is str:
        return text
    return None
