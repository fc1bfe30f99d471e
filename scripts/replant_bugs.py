"""Re-plant the bugs of issue 18 and show that the test suite catches each one.

    python scripts/replant_bugs.py [--only NAME,...] [--markdown]

Each bug is a one-place edit of the production code. For each, the tracked files of this
checkout are copied to a temporary folder, the edit is applied there (the script stops if the
text to replace is no longer found exactly once: the bug must be re-described, not skipped),
and the related fast test files are run with pytest, listing every test that fails (the slow
suites that also touch these modules, such as test_report and test_kill_resume, are left to
the full test run). A bug is caught when pytest reports a failing test (exit code 1); any other
outcome (a collection error, a clean pass) is printed as such. The unedited copy is run first,
so that a failure is the bug's and not the suite's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Bug:
    name: str
    description: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


BUGS = (
    Bug("regret-test-optimum",
        "regret computed against the test optimum instead of the validation optimum",
        "harness/search.py",
        "best = bench.optimum(bench.objective)",
        "best = bench.optimum(bench.report_metric or bench.objective)",
        ("tests/test_conclusions.py",)),
    Bug("predictor-target-test",
        "predictor evaluation scored against test_acc instead of the validation target",
        "predictors/evaluate.py",
        "y_test = np.asarray(bench.query(test, bench.objective), dtype=np.float64)",
        "y_test = np.asarray(bench.query(test, bench.report_metric or bench.objective),\n"
        "                        dtype=np.float64)",
        ("tests/test_conclusions.py",)),
    Bug("selection-by-test",
        "retraining picks architectures by test accuracy instead of validation",
        "harness/retrain/selection.py",
        'arch, valid = row["incumbent"], row["incumbent_valid"]',
        'arch, valid = row["incumbent"], row["incumbent_test"]',
        ("tests/test_conclusions.py",)),
    Bug("abs-kendall-tau",
        "abs() around Kendall tau (a sign-flipped predictor scores as good)",
        "predictors/evaluate.py",
        '"kendall_tau": float(stats.kendalltau(y_true, y_pred).statistic),',
        '"kendall_tau": abs(float(stats.kendalltau(y_true, y_pred).statistic)),',
        ("tests/test_conclusions.py",)),
    Bug("nemenyi-constant",
        "Nemenyi critical difference with a wrong constant (12n for 6n)",
        "harness/report/ranks.py",
        "math.sqrt(k * (k + 1) / (6 * n))",
        "math.sqrt(k * (k + 1) / (12 * n))",
        ("tests/test_conclusions.py",)),
    Bug("rank-incomplete-space",
        "a method missing a task of a space still ranked in that space",
        "harness/report/ranks.py",
        "                    if len(r) == tasks_in[space]}",
        "                    }",
        ("tests/test_conclusions.py",)),
    Bug("write-in-place",
        "result files written in place instead of temp file + rename",
        "harness/results.py",
        "return atomic_write(path, lambda tmp: pq.write_table(table, tmp))",
        "pq.write_table(table, path)\n        return path",
        ("tests/test_atomic_writes.py",)),
    Bug("re-remove-worst",
        "RE removing the worst instead of the oldest",
        "optimizers/regularized_evolution.py",
        "        self._population.append((np.asarray(arch).copy(), observation.value))",
        "        if len(self._population) == self._population.maxlen:\n"
        "            worst = min(range(len(self._population)),\n"
        "                        key=lambda i: self._population[i][1])\n"
        "            del self._population[worst]\n"
        "        self._population.append((np.asarray(arch).copy(), observation.value))",
        ("tests/test_optimizers_search.py",)),
)


def copy_checkout(target: Path) -> None:
    """The tracked and untracked-but-not-ignored files of this checkout."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPO, capture_output=True, check=True)
    for name in filter(None, listed.stdout.decode().split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def run_tests(root: Path, tests: tuple[str, ...]) -> tuple[int, float, str]:
    env = {**os.environ, "PYTHONPATH": str(root),
           "NAS_HARNESS_SHARED": os.environ.get("NAS_HARNESS_SHARED", str(REPO.parent / "shared"))}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
                           *tests], cwd=root, env=env, capture_output=True, text=True)
    failed = [line.removeprefix("FAILED ").split(" - ")[0].split("::", 1)[-1]
              for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    return proc.returncode, time.perf_counter() - start, (", ".join(failed) if failed else
                                                          proc.stdout.strip()[-200:])


def plant(root: Path, bug: Bug) -> None:
    path = root / bug.path
    text = path.read_text()
    count = text.count(bug.old)
    if count != 1:
        raise SystemExit(f"{bug.name}: the text to replace occurs {count} times in {bug.path}; "
                         "re-describe the bug for the current code")
    path.write_text(text.replace(bug.old, bug.new))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated bug names; accepted: "
                        + ", ".join(b.name for b in BUGS))
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    bugs = BUGS
    if args.only:
        wanted = args.only.split(",")
        unknown = sorted(set(wanted) - {b.name for b in BUGS})
        if unknown:
            parser.error(f"unknown bug(s) {', '.join(unknown)}; accepted: "
                         + ", ".join(b.name for b in BUGS))
        bugs = tuple(b for b in BUGS if b.name in wanted)
    rows = []
    with tempfile.TemporaryDirectory(prefix="replant-") as tmp:
        clean = Path(tmp) / "clean"
        copy_checkout(clean)
        all_tests = tuple(sorted({t for b in bugs for t in b.tests}))
        code, seconds, detail = run_tests(clean, all_tests)
        if code != 0:
            print(f"the unedited suite fails ({detail}); fix it first", file=sys.stderr)
            return 1
        print(f"unedited: {' '.join(all_tests)} pass ({seconds:.0f} s)", flush=True)
        for bug in bugs:
            root = Path(tmp) / bug.name
            shutil.copytree(clean, root)
            plant(root, bug)
            code, seconds, detail = run_tests(root, bug.tests)
            verdict = {0: "NOT caught", 1: "caught"}.get(code, f"pytest exit {code}")
            rows.append((bug, verdict, detail))
            print(f"{bug.name:<24} {verdict:<11} {seconds:5.0f} s  {detail}", flush=True)
            shutil.rmtree(root)
    if args.markdown:
        print("\n| planted bug | file | failing tests |\n|---|---|---|")
        for bug, verdict, detail in rows:
            print(f"| {bug.description} | `{bug.path}` | "
                  f"{detail if verdict == 'caught' else verdict} |")
    return 0 if all(verdict == "caught" for _, verdict, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
