"""The trajectory of a multi-objective run: anytime hypervolume and hypervolume regret.

After every evaluation the optimizer's incumbent is a set (``recommend_set``: its non-dominated
evaluated archs, by observed values). The harness scores each set at ground truth, the seed-mean
values of every objective at the benchmark's default fidelity, and records its hypervolume with
the task's stored bounds (``benchmarks.pareto``, ``harness.hypervolume``) and, where the task's
exact Pareto front is known (tabular benchmarks), the hypervolume regret: the exact front's
hypervolume minus the set's. With constraints, the exact front is that of the feasible archs
(computed from the table here; the stored one is unconstrained).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from benchmarks import pareto
from harness.hypervolume import REFERENCE, hypervolume, hypervolume_inside, moocore, scale
from harness.objectives import Problem
from harness.oracle import Oracle


class MissingFrontError(ValueError):
    """No stored bounds for the task, or bounds built from other data."""


def task_front(bench, problem: Problem) -> pareto.TaskFront:
    """The stored task of ``problem``'s objectives on ``bench``; refuses stale data."""
    task = pareto.load(bench.name, problem.names)
    if task is None:
        raise MissingFrontError(
            f"no stored Pareto bounds for {bench.name} with objectives "
            f"{', '.join(problem.names)}; build them: python -m benchmarks.build.pareto")
    if task.checksum != bench.checksum:
        raise MissingFrontError(
            f"the stored Pareto front of {bench.name} was built from other data (checksum "
            f"{task.checksum[:12]}..., benchmark {bench.checksum[:12]}...); rebuild it: "
            "python -m benchmarks.build.pareto")
    return task


def ground_truth(bench, problem: Problem, archs: np.ndarray) -> np.ndarray:
    """Minimized seed-mean objective values (n, k) of ``archs``."""
    columns = {o.name: np.asarray(bench.query(archs, o.name), dtype=np.float64)
               for o in problem.objectives}
    return problem.minimized(columns)


_FEASIBLE_FRONTS: dict[tuple, tuple[float, np.ndarray | None]] = {}


def exact_front(bench, problem: Problem,
                task: pareto.TaskFront) -> tuple[float, np.ndarray | None]:
    """The exact front (minimized values) and its hypervolume; with constraints, those of the
    feasible archs' front (computed over the whole table once per process and task). (NaN,
    None) where the front is unknown."""
    if not task.exact:
        return np.nan, None
    if not problem.constraints:
        return float(task.hypervolume), task.front
    key = (bench.name, bench.checksum, problem)
    if key not in _FEASIBLE_FRONTS:
        _FEASIBLE_FRONTS[key] = _feasible_front(bench, problem, task)
    return _FEASIBLE_FRONTS[key]


def _feasible_front(bench, problem: Problem,
                    task: pareto.TaskFront) -> tuple[float, np.ndarray | None]:
    archs = bench.all_archs()
    feasible = np.asarray(problem.feasible(
        {c.metric: bench.query(archs, c.metric) for c in problem.constraints}), dtype=bool)
    if not feasible.any():
        return np.nan, None
    points = ground_truth(bench, problem, archs[feasible])
    front = points[moocore().is_nondominated(points, keep_weakly=True)]
    front.flags.writeable = False  # shared by every run of the task
    return hypervolume(front, task.ideal, task.nadir), front


def trajectory_table(bench, oracle: Oracle, problem: Problem,
                     sets: list[np.ndarray]) -> tuple[pa.Table, dict, dict]:
    """The run's trajectory with, per step, the incumbent set's size, hypervolume and regret;
    the final numbers (the last set, listed with its seed-mean objective values); and the task
    (objectives, bounds, exact front in natural units) for the manifest, so that a report
    can draw the exact front from the results store alone."""
    task = task_front(bench, problem)
    best, exact = exact_front(bench, problem, task)
    # ground truth once per distinct arch, a hypervolume once per distinct set; an optimizer
    # hands out the same array while its front does not move, so most steps cost nothing here
    distinct: dict[tuple[int, ...], int] = {}  # arch -> its row of truth, in order of entry
    set_rows: list[tuple[int, ...]] = []
    previous = None
    for s in sets:
        if s is not previous:
            previous = s
            rows_of_set = tuple(distinct.setdefault(a, len(distinct))
                                for a in map(tuple, s.tolist()))
        set_rows.append(rows_of_set)
    truth = ground_truth(bench, problem, np.array(list(distinct), dtype=np.int64))
    scaled = scale(truth, task.ideal, task.nadir)  # elementwise: as scaling each set alone
    inside = (scaled < REFERENCE).all(axis=1).tolist()  # archs that add volume at all
    volumes, last_rows, last_volume = np.empty(len(sets)), None, 0.0
    for step, rows_of_set in enumerate(set_rows):
        if rows_of_set != last_rows:
            last_rows = rows_of_set
            last_volume = hypervolume_inside(scaled[[r for r in rows_of_set if inside[r]]])
        volumes[step] = last_volume
    rows = oracle.trajectory
    values = np.array([r.value for r in rows])
    columns = {
        "step": pa.array([r.step for r in rows], pa.int32()),
        "arch": pa.array([bench.space.to_string(np.array(r.arch)) for r in rows]),
        "fidelity": pa.array([r.fidelity for r in rows]),
        "value": pa.array(values),
        "cost": pa.array([r.cost for r in rows]),
        "cum_queries": pa.array([r.cum_queries for r in rows], pa.int32()),
        "cum_seconds": pa.array([r.cum_seconds for r in rows]),
        "best_observed": pa.array(np.maximum.accumulate(values)),
        "feasible": pa.array([r.feasible for r in rows]),
        **{name: pa.array([r.free[name] for r in rows]) for name in problem.free_metrics},
        "front_size": pa.array([len(s) for s in sets], pa.int32()),
        "hypervolume": pa.array(volumes),
        "hv_regret": pa.array(best - volumes),
    }
    last = truth[list(set_rows[-1])]
    front = [{"arch": bench.space.to_string(arch),
              **{o.name: float(-v if o.maximize else v)
                 for o, v in zip(problem.objectives, point, strict=True)}}
             for arch, point in zip(sets[-1], last, strict=True)]
    final = {
        "hypervolume": float(volumes[-1]),
        "hv_regret": float(best - volumes[-1]),
        "exact_hypervolume": float(best),
        "front_size": len(sets[-1]),
        "best_observed": float(values.max()),
        "front": front,
    }
    natural = np.array([-1.0 if o.maximize else 1.0 for o in problem.objectives])
    info = {
        "objectives": [o.describe() for o in problem.objectives],
        "ideal": task.ideal.tolist(), "nadir": task.nadir.tolist(),
        "exact_front": None if exact is None else (exact * natural).tolist(),
        "exact_hypervolume": None if np.isnan(best) else float(best),
    }
    return pa.table(columns), final, info
