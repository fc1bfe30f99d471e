"""Comma-separated choices on the command line (``--optimizer rs,re --bench nb201-cifar10``),
read the same way by every CLI of the project."""

from __future__ import annotations

from collections.abc import Sequence


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
