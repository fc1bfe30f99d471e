"""Parallel workers in simulated time: one optimizer run as N asynchronous workers.

The reference is Syne Tune's simulator backend (``syne_tune.backend.simulator_backend``, used
with its ``SimulatorCallback``): an evaluation occupies a worker for its simulated training time,
the clock jumps to the next finishing evaluation, and results reach the optimizer in the order
they finish (ties: in the order they started), never in the order they were asked. Nothing
sleeps: a 12-hour search takes as long as its queries.

The ask/tell extension is small:

- ``ask()`` may return an arch (evaluated at the run's fidelity, as before), a pair
  ``(arch, fidelity)``, or ``None``: "nothing to start until a result arrives" (a synchronous
  method waiting for its rung). It may be asked again before earlier asks are told (they are
  pending on busy workers).
- ``tell(arch, observation)`` as before; ``observation.fidelity`` says which evaluation it is.

Whenever a worker is free the optimizer is asked; each answer is charged and evaluated by the
oracle at once (so the budget counts evaluations in flight and is never exceeded, and the
oracle's noise draws happen in a fixed order), and its result is held until its finish time.
The first ask the budget cannot afford ends the asking; evaluations in flight still finish and
are told. With one worker this is exactly the sequential loop: ask, evaluate, tell.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.oracle import Observation, Oracle, TrajectoryRow


@dataclass(frozen=True)
class Arrival:
    """One finished evaluation, as it reached the optimizer."""

    row: TrajectoryRow  # the oracle's record (step: the order evaluations started)
    observation: Observation
    worker: int
    started: float  # simulated wall clock (s) when the worker began it
    finished: float  # ... and when its result arrived
    incumbent: np.ndarray  # the incumbent after this result (a set in a multi-objective run)


def split_request(request) -> tuple[np.ndarray, str | None]:
    """``ask()``'s answer as (arch, fidelity); an arch alone means the run's fidelity."""
    if isinstance(request, tuple) and len(request) == 2 and isinstance(request[1], str | None):
        return np.asarray(request[0]), request[1]
    return np.asarray(request), None


def simulate(optimizer, oracle: Oracle, workers: int = 1,
             incumbent: Callable[[list[TrajectoryRow]], np.ndarray] | None = None,
             ) -> list[Arrival]:
    """Run ``optimizer`` against ``oracle`` on ``workers`` simulated workers until the budget
    stops the asking and every evaluation in flight has arrived (or the optimizer has nothing
    more to ask and nothing runs). Returns the arrivals in the order they finished.

    ``incumbent(rows arrived so far)`` gives the incumbent after each arrival (default: the
    optimizer's ``recommend()``)."""
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive int, got {workers!r}")
    clock = 0.0
    free = list(range(workers))  # worker ids, lowest first
    running: list[tuple[float, int, int, float, np.ndarray, Observation, TrajectoryRow]] = []
    arrivals: list[Arrival] = []
    arrived: list[TrajectoryRow] = []
    if incumbent is None:
        def incumbent(_):
            return np.asarray(optimizer.recommend())
    asking = True
    started = 0
    while True:
        while asking and free:
            request = optimizer.ask()
            if request is None:  # waits for a result
                break
            arch, fidelity = split_request(request)
            if oracle.exhausted or not oracle.can_afford(arch, fidelity):
                asking = False
                break
            observation = oracle.evaluate(arch, fidelity)
            worker = heapq.heappop(free)
            heapq.heappush(running, (clock + observation.cost, started, worker, clock, arch,
                                     observation, oracle.trajectory[-1]))
            started += 1
        if not running:
            return arrivals
        finish, _, worker, began, arch, observation, row = heapq.heappop(running)
        clock = finish
        heapq.heappush(free, worker)
        optimizer.tell(arch, observation)
        arrived.append(row)
        arrivals.append(Arrival(row, observation, worker, began, finish, incumbent(arrived)))
