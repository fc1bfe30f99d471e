"""Regenerate the stored baselines shipped in ``harness/baselines/data/``:

    python scripts/make_baselines.py

runs ``python -m harness.run --preset suite -j 2`` (every built-in optimizer on every
benchmark, 20 seeds x 150 queries) and ``python -m harness.run --preset predictors-suite`` into
``results/baseline-suite`` and ``results/baseline-predictors-suite`` (a rerun resumes), then packs
them: ``suite.parquet`` (every search run's curve, incumbent and settings),
``predictors-suite.parquet`` (every predictor row with its test set's SHA-256, benchmark
checksum and protocol) and ``MANIFEST.json`` (the exact commands, the experiments' configs,
software versions, git commit and each file's SHA-256).

``--from-suite DIR`` / ``--from-predictors DIR`` pack existing results folders instead of
running the presets (``--skip-predictors`` keeps the stored predictor file as it is).
``--seeds N``, ``--bench A,B`` and ``-j`` are passed to the presets: a smaller run for a trial;
the command recorded in the manifest says what was run. ``--only re,bananas`` reruns those
optimizers alone on the stored suite's grid and replaces their rows (for a change to one
optimizer; the manifest's ``parts`` records the command of each part).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import benchmarks
from harness import baselines
from harness.provenance import versions
from harness.results import EXPERIMENT_FILE

ROOT = Path(__file__).resolve().parents[1]


def run_preset(preset: str, out: Path, args: argparse.Namespace) -> str:
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    command = [sys.executable, "-m", "harness.run", "--preset", preset, "--out", str(shown)]
    if preset == "suite":
        command += ["-j", str(args.jobs), "--no-progress"]
    if args.seeds:
        command += ["--seeds", str(args.seeds)]
    if args.bench:
        command += ["--bench", args.bench]
    printable = shlex.join(["python", *command[1:]])
    print(f"running: {printable}", flush=True)
    subprocess.run(command, check=True, cwd=ROOT)
    return printable


def suite_command(folder: Path) -> str:
    """The command that made a results folder of the suite preset, from its experiment."""
    config = experiment(folder)["config"]
    if config.get("preset") != "suite":
        raise SystemExit(f"{folder} was not written by --preset suite")
    budget = config["budget"]
    spent = budget["queries"] if budget["queries"] else f"{budget['seconds']:g}s"
    command = ["python", "-m", "harness.run", "--preset", "suite", "--seeds",
               str(config["seeds"]), "--budget", str(spent)]
    if config["benchmarks"] != benchmarks.names():
        command += ["--bench", ",".join(config["benchmarks"])]
    return shlex.join(command)


def predictors_command(table) -> str:
    """The predictors-suite command whose rows ``table`` holds (its seeds and benchmarks)."""
    seeds = len(set(table["seed"].to_pylist()))
    benches = sorted(set(table["benchmark"].to_pylist()))
    command = ["python", "-m", "harness.run", "--preset", "predictors-suite", "--seeds",
               str(seeds)]
    if set(benches) != set(benchmarks.names()):
        command += ["--bench", ",".join(b for b in benchmarks.names() if b in benches)]
    return shlex.join(command)


def replace_optimizers(only: str, stored: dict, jobs: int, data: Path) -> dict:
    """Rerun the optimizers ``only`` on the stored suite's grid and splice their rows into the
    stored file; the manifest entry lists the command of each part."""
    config = stored["experiment"]["config"]
    names = [n.strip() for n in only.split(",") if n.strip()]
    budget = config["budget"]
    spent = budget["queries"] if budget["queries"] else f"{budget['seconds']:g}s"
    out = ROOT / "results" / f"baseline-suite-{'+'.join(names)}"
    command = [sys.executable, "-m", "harness.run", "--optimizer", ",".join(names), "--bench",
               ",".join(config["benchmarks"]), "--seeds", str(config["seeds"]), "--budget",
               str(spent), "--noise", config["noise"], "-j", str(jobs), "--no-progress",
               "--no-per-seed", "--out", str(out.relative_to(ROOT))]
    printable = shlex.join(["python", *command[1:]])
    print(f"running: {printable}", flush=True)
    subprocess.run(command, check=True, cwd=ROOT)
    old = pq.read_table(data / baselines.SEARCH_FILE)
    keep = pc.invert(pc.is_in(old["optimizer"], value_set=pa.array(names)))
    table = pa.concat_tables([old.filter(keep), baselines.search_table(out).cast(old.schema)])
    info = write(table, data / baselines.SEARCH_FILE,
                 ["benchmark", "optimizer", "seed", "step"])
    parts = dict(stored.get("parts", {}))
    parts.update({name: printable for name in names})
    optimizers = stored["experiment"]["config"]["optimizers"]
    experiment_entry = dict(stored["experiment"])
    experiment_entry["config"] = {**config, "optimizers": optimizers
                                  + [n for n in names if n not in optimizers]}
    return {**stored, **info, "experiment": experiment_entry, "parts": parts}


def write(table, path: Path, sort: list[str]) -> dict:
    table = table.sort_by([(c, "ascending") for c in sort])
    pq.write_table(table, path, compression="zstd", compression_level=19,
                   use_dictionary=True, write_statistics=False)
    return {"file": path.name, "rows": table.num_rows, "bytes": path.stat().st_size,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}


def experiment(folder: Path) -> dict:
    return json.loads((folder / EXPERIMENT_FILE).read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-suite", type=Path, default=None,
                        help="pack this results folder of the suite instead of running it")
    parser.add_argument("--from-predictors", type=Path, default=None,
                        help="pack this predictors-suite folder instead of running it")
    parser.add_argument("--skip-predictors", action="store_true",
                        help="keep the stored predictors-suite file and its manifest entry")
    parser.add_argument("--seeds", type=int, default=None, help="passed to the presets")
    parser.add_argument("--bench", default=None, help="passed to the presets")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="workers of the suite")
    parser.add_argument("--only", default=None, metavar="OPT[,OPT]",
                        help="rerun these optimizers on the stored suite's grid (its benchmarks, "
                        "seeds, budget, noise) and replace their rows; the rest stays as stored")
    parser.add_argument("--data", type=Path, default=baselines.DATA,
                        help="where the stored files go (the package's own by default)")
    args = parser.parse_args(argv)
    data = args.data
    data.mkdir(parents=True, exist_ok=True)
    old = json.loads((data / baselines.MANIFEST).read_text()) if (
        data / baselines.MANIFEST).exists() else {}
    manifest = {"regenerate": "python scripts/make_baselines.py", "versions": versions()}

    if args.only:
        manifest["suite"] = replace_optimizers(args.only, old["suite"], args.jobs, data)
    else:
        suite = args.from_suite or ROOT / "results" / "baseline-suite"
        command = suite_command(suite) if args.from_suite else run_preset("suite", suite, args)
        info = write(baselines.search_table(suite), data / baselines.SEARCH_FILE,
                     ["benchmark", "optimizer", "seed", "step"])
        manifest["suite"] = {"command": command, **info, "experiment": experiment(suite)}
    info = manifest["suite"]
    print(f"wrote {info['file']}: {info['rows']} rows, {info['bytes']:,} bytes", flush=True)
    if args.only:
        args.skip_predictors = True

    if args.skip_predictors and "predictors-suite" in old:
        manifest["predictors-suite"] = old["predictors-suite"]
    else:
        folder = args.from_predictors or ROOT / "results" / "baseline-predictors-suite"
        table = None
        if args.from_predictors:
            table = baselines.predictor_table(folder)
            command = predictors_command(table)
        else:
            command = run_preset("predictors-suite", folder, args)
            table = baselines.predictor_table(folder)
        info = write(table, data / baselines.PREDICTOR_FILE,
                     ["benchmark", "predictor", "seed", "train_size", "fidelity"])
        experiments = {str(p.parent.relative_to(folder)): json.loads(p.read_text())
                       for p in sorted(folder.rglob(EXPERIMENT_FILE))}
        manifest["predictors-suite"] = {"command": command, **info, "experiments": experiments}
        print(f"wrote {info['file']}: {info['rows']} rows, {info['bytes']:,} bytes", flush=True)
    (data / baselines.MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
