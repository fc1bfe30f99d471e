"""Mutation testing of the code that turns results into conclusions (mutmut; not part of CI).

    python scripts/mutation.py                       # every module below, one after the other
    python scripts/mutation.py harness/report/ranks.py predictors/evaluate.py
    python scripts/mutation.py --list                # the modules and the tests each runs

For each module, mutmut makes small edits (a ``<`` for a ``<=``, a constant changed, an argument
dropped, ...) and runs the fast tests that exercise the edited function; a mutant that no test
fails on *survives*. Each module is run in its own scratch copy of the checkout (``--work``,
default ``/tmp/nas-harness-mutation/<module>``, where mutmut keeps its results; a rerun with no
file changed reuses them) with a ``[tool.mutmut]`` made from this checkout's (the packages,
pytest options) plus the module and its tests from ``MODULES``. The optimizers are mutated in
their ``ask`` and ``tell`` only. The process runs at ``nice 10`` with ``--max-children`` workers
(default 1: the development machine is small and shared).

Printed per module: mutants, killed, survived, and the other outcomes mutmut reports (timeout,
no tests, ...); ``--show`` prints each survivor's diff. Every survivor must be killed by a new
test or listed, with the reason it is equivalent, in ``docs/mutation-survivors.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from fnmatch import fnmatchcase
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("harness", "optimizers", "predictors", "benchmarks")
ALSO_COPY = ("examples",)  # what tests read besides the packages (the example plugin)
ASK_TELL = ("*ǁask__mutmut_*", "*ǁtell__mutmut_*")
OPTIMIZER_TESTS = ("tests/test_optimizers_search.py", "-k", "not beats_random_search")

# module -> (fast tests that check it (pytest arguments), mutant-name filters; () means all)
MODULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # with the XNAS and plugin tests (seconds): the only optimizer that reads its budget, a
    # plugin's record
    "harness/search.py": (("tests/test_conclusions.py", "tests/test_oracle.py",
                           "tests/test_xnas_core.py", "tests/test_plugins.py"), ()),
    "harness/oracle.py": (("tests/test_oracle.py", "tests/test_conclusions.py"), ()),
    "harness/results.py": (("tests/test_atomic_writes.py", "tests/test_conclusions.py"), ()),
    "harness/report/ranks.py": (("tests/test_conclusions.py",), ()),
    "harness/report/tables.py": (("tests/test_conclusions.py",), ()),
    "harness/retrain/selection.py": (("tests/test_conclusions.py",), ()),
    # the functions that make its numbers: the split, the target, the scores, the summary
    "predictors/evaluate.py": (("tests/test_conclusions.py", "tests/test_predictor_evaluation.py"),
                               tuple(
        f"predictors.evaluate.x_{f}__mutmut_*"
        for f in ("draw_split", "_listable_pool", "score", "run_job", "summarize"))),
    # without the beats-random-search comparisons (tens of full runs each: not fast)
    "optimizers/random_search.py": (OPTIMIZER_TESTS, ASK_TELL),
    "optimizers/regularized_evolution.py": (OPTIMIZER_TESTS, ASK_TELL),
    "optimizers/local_search.py": (OPTIMIZER_TESTS, ASK_TELL),
    "optimizers/bananas.py": (("tests/test_bananas.py", "-k", "not beats_random_search"),
                              ASK_TELL),
}


def toml_list(values) -> str:
    return json.dumps(list(values), ensure_ascii=False)  # a JSON string array is valid TOML


def prepare(work: Path, module: str, tests: tuple[str, ...]) -> None:
    """A scratch copy of the packages, tests and examples with the module's ``[tool.mutmut]``.
    When any file differs from the last run's copy, mutmut's results there are deleted (it would
    keep a survivor's verdict after a test that kills it was added); otherwise they are reused."""
    changed = False
    for name in (*PACKAGES, *ALSO_COPY, "tests"):
        for source in (REPO / name).rglob("*"):
            if source.is_file() and "__pycache__" not in source.parts:
                target = work / source.relative_to(REPO)
                if not target.exists() or target.read_bytes() != source.read_bytes():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, target)
                    changed = True
    if changed:
        shutil.rmtree(work / "mutants", ignore_errors=True)
    base = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]
    mutmut = base.get("mutmut", {})
    lines = [
        "[tool.mutmut]",
        f"source_paths = {toml_list(mutmut.get('source_paths', PACKAGES))}",
        f"only_mutate = {toml_list([module])}",
        f"also_copy = {toml_list([*mutmut.get('also_copy', []), *ALSO_COPY])}",
        f"pytest_add_cli_args = {toml_list(mutmut.get('pytest_add_cli_args', []))}",
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}",
        f"do_not_mutate_patterns = {toml_list(mutmut.get('do_not_mutate_patterns', []))}",
        "",
        "[tool.pytest.ini_options]",
        f"testpaths = {toml_list(['tests'])}",
    ]
    (work / "pyproject.toml").write_text("\n".join(lines) + "\n")


def mutmut(work: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "NAS_HARNESS_SHARED": os.environ.get(
        "NAS_HARNESS_SHARED", str(REPO.parent / "shared"))}
    env.pop("PYTHONPATH", None)  # mutmut puts its mutants/ first on the path itself
    executable = Path(sys.executable).parent / "mutmut"
    return subprocess.run([str(executable), *args], cwd=work, env=env, text=True,
                          capture_output=True, check=check)


def outcomes(work: Path, module: str, filters: tuple[str, ...]) -> Counter:
    """Outcome -> count for the module's mutants (those matching ``filters``)."""
    listed = mutmut(work, "results", "--all", "True").stdout
    prefix = module.removesuffix(".py").replace("/", ".") + "."
    counts: Counter = Counter()
    for line in listed.splitlines():
        match = re.match(r"\s*(\S+): (.+)$", line)
        if not match or not match.group(1).startswith(prefix):
            continue
        name, outcome = match.groups()
        if not selected(name, filters):
            continue
        counts[outcome.strip()] += 1
    return counts


def selected(name: str, filters: tuple[str, ...]) -> bool:
    return not filters or any(fnmatchcase(name, f) for f in filters)


def survivors(work: Path, module: str, filters: tuple[str, ...]) -> list[str]:
    prefix = module.removesuffix(".py").replace("/", ".") + "."
    names = []
    for line in mutmut(work, "results").stdout.splitlines():
        match = re.match(r"\s*(\S+): survived$", line)
        if match and match.group(1).startswith(prefix) and selected(match.group(1), filters):
            names.append(match.group(1))
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="default: all; accepted: " + ", ".join(MODULES))
    parser.add_argument("--work", type=Path, default=Path("/tmp/nas-harness-mutation"))
    parser.add_argument("--max-children", type=int, default=1)
    parser.add_argument("--show", action="store_true", help="print each survivor's diff")
    parser.add_argument("--list", action="store_true", help="print the modules and their tests")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {', '.join(unknown)}; accepted: {', '.join(MODULES)}")
    if args.list:
        for module, (tests, filters) in MODULES.items():
            only = f"  (only {' '.join(filters)})" if filters else ""
            print(f"{module:<38} {' '.join(tests)}{only}")
        return 0
    os.nice(10)
    total: Counter = Counter()
    for module in args.modules or list(MODULES):
        tests, filters = MODULES[module]
        work = args.work / module.removesuffix(".py").replace("/", ".")
        prepare(work, module, tests)
        start = time.perf_counter()
        run = mutmut(work, "run", "--max-children", str(args.max_children), *filters,
                     check=False)
        seconds = time.perf_counter() - start
        counts = outcomes(work, module, filters)
        if run.returncode != 0 or not counts:
            print(f"{module}: mutmut failed (exit {run.returncode})\n{run.stdout[-2000:]}"
                  f"\n{run.stderr[-2000:]}", file=sys.stderr)
            return 1
        total += counts
        others = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())
                           if k not in ("killed", "survived"))
        print(f"{module:<38} {sum(counts.values()):4d} mutants  {counts['killed']:4d} killed  "
              f"{counts['survived']:3d} survived  {others}  ({seconds:.0f} s)", flush=True)
        if args.show:
            for name in survivors(work, module, filters):
                print(mutmut(work, "show", name).stdout)
    others = ", ".join(f"{k} {v}" for k, v in sorted(total.items())
                       if k not in ("killed", "survived"))
    print(f"{'all':<38} {sum(total.values()):4d} mutants  {total['killed']:4d} killed  "
          f"{total['survived']:3d} survived  {others}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
