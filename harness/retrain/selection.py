"""Which architectures to retrain: the final incumbents of an experiment's runs.

Ranked by the benchmark's validation value of each incumbent (``incumbent_valid``, the seed-mean
validation accuracy the harness looks up after the search), never by a test metric, so the
choice is one the searcher could have made; an arch recommended by several runs counts once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.results import EXPERIMENT_FILE, ResultsStore
from harness.summary import final_rows


class SelectionError(ValueError):
    """The results folder is missing, or holds no finished run of the benchmark."""


@dataclass(frozen=True)
class Candidate:
    """One arch to retrain: its string, its benchmark validation value, how many runs chose it."""

    arch: str
    valid: float
    runs: int


def top_architectures(results: Path | str, bench: str, top: int) -> list[Candidate]:
    """The ``top`` distinct final incumbents of ``bench`` in ``results``, best validation first
    (ties broken by the arch string, so the order is stable)."""
    results = Path(results)
    if not (results / EXPERIMENT_FILE).is_file():
        raise SelectionError(
            f"{results} is not a results folder of python -m harness.run (no {EXPERIMENT_FILE}"
            f"{'' if results.is_dir() else '; the folder does not exist'})"
        )
    if top < 1:
        raise SelectionError(f"bad --top {top}: need at least 1")
    rows = [r for r in final_rows(ResultsStore(results)) if r["benchmark"] == bench]
    if not rows:
        present = sorted({r["benchmark"] for r in final_rows(ResultsStore(results))})
        raise SelectionError(
            f"{results} holds no finished run of {bench}; it has: {', '.join(present) or 'none'}"
        )
    best: dict[str, Candidate] = {}
    for row in rows:
        arch, valid = row["incumbent"], row["incumbent_valid"]
        seen = best.get(arch)
        best[arch] = Candidate(arch, valid, 1 + (seen.runs if seen else 0))
    ranked = sorted(best.values(), key=lambda c: (-c.valid, c.arch))
    return ranked[:top]
