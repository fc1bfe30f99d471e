"""Checkpoints written atomically every epoch, so a killed retraining resumes where it stopped.

A checkpoint holds everything the next epoch depends on: model, optimizer and scheduler states,
the number of finished epochs, the RNG states (torch CPU, the data generator, CUDA) and the
metrics so far; resuming from it continues the run as if it had not been interrupted. It is
written to a temporary file in the same folder and renamed over the old one, so a crash leaves
either the previous checkpoint or the new one, never a torn file. Everything in it is tensors,
numbers, strings, lists and dicts, so it loads with ``torch.load(weights_only=True)``: a
checkpoint from someone else's results folder cannot run code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from benchmarks.store import atomic_write, orphaned

FILE = "checkpoint.pt"


def save(folder: Path, state: dict[str, Any]) -> Path:
    """Atomically write ``state`` to ``folder/checkpoint.pt``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE
    return atomic_write(path, lambda tmp: torch.save(state, tmp))


def load(folder: Path) -> dict[str, Any] | None:
    """The checkpoint in ``folder``, or None when there is none (temporaries left by a dead
    writer removed)."""
    for stale in folder.glob(f".{FILE}.*.tmp"):
        if orphaned(stale):
            stale.unlink(missing_ok=True)
    path = folder / FILE
    if not path.is_file():
        return None
    return torch.load(path, map_location="cpu", weights_only=True)


def rng_states(generator: torch.Generator) -> dict[str, Any]:
    """Every RNG state a training epoch draws from."""
    states = {"torch": torch.get_rng_state(), "data": generator.get_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng(states: dict[str, Any], generator: torch.Generator) -> None:
    torch.set_rng_state(states["torch"])
    generator.set_state(states["data"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
