"""Crash safety of result files, tested during a write: the Parquet writer fails part-way, or
the process is killed (SIGKILL) with half a file on disk. Either way no final file of that job
exists, the rerun leaves no temporary file behind, and it completes with the results an
uninterrupted run gives. (``test_kill_resume`` kills between writes; these kill inside one.)"""

from __future__ import annotations

import contextlib
import io
import signal
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness import run as run_cli
from harness.results import ResultsStore

REPO = Path(__file__).resolve().parents[1]
GRID = ["--optimizer", "rs", "--bench", "nb201-cifar10", "--seeds", "4", "--budget", "20",
        "--no-progress", "--no-per-seed", "-j", "1"]
KEYS = [f"nb201-cifar10/rs/seed-{s:04d}" for s in range(4)]
FAILING_WRITE = 3  # the third result file is the one interrupted

# Runs harness.run in a process whose Parquet writer, on its FAILING_WRITE-th call, writes half
# a file where it was told to and then kills its own process without warning.
DIE_MID_WRITE = """
import os, signal, sys
import pyarrow.parquet as pq
from harness import run
real, calls = pq.write_table, []
def write_half_then_die(table, where, *args, **kwargs):
    calls.append(where)
    real(table, where, *args, **kwargs)
    if len(calls) == int(sys.argv[1]):
        size = os.path.getsize(where)
        with open(where, "r+b") as handle:
            handle.truncate(size // 2)
            handle.flush()
            os.fsync(handle.fileno())
        print(where, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
pq.write_table = write_half_then_die
sys.exit(run.main(sys.argv[2:]))
"""


def files(out: Path) -> tuple[list[str], list[Path]]:
    """The finished job keys and the temporary files under the benchmark folders (any claim
    or lock files the runner keeps are not temporaries of a write)."""
    done = sorted(str(p.relative_to(out).with_suffix("")) for p in out.glob("*/*/*.parquet"))
    temporaries = sorted(p for p in out.glob("*/*/*") if p.name.endswith(".tmp"))
    return done, temporaries


def rerun(out: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert run_cli.main([*GRID, "--out", str(out)]) == 0


def assert_same_results(out: Path, reference: Path) -> None:
    store, ref = ResultsStore(out), ResultsStore(reference)
    assert list(store.job_keys()) == list(ref.job_keys()) == KEYS
    for key in KEYS:
        (table, manifest), (ref_table, ref_manifest) = store.read(key), ref.read(key)
        assert table.equals(ref_table), key
        manifest.pop("wall_seconds"), ref_manifest.pop("wall_seconds")
        assert manifest == ref_manifest, key


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reference")
    rerun(out)
    return out


def test_sigkill_in_the_middle_of_a_parquet_write(tmp_path, reference):
    out = tmp_path / "killed"
    proc = subprocess.run([sys.executable, "-c", DIE_MID_WRITE, str(FAILING_WRITE), *GRID,
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    half_written = Path(proc.stdout.strip().splitlines()[-1])
    # the kill came inside the write: half a file is on disk, under a temporary name
    assert half_written.exists() and half_written.stat().st_size > 0
    with pytest.raises(Exception):  # noqa: B017 (pyarrow's error type varies by version)
        pq.read_table(half_written)
    done, others = files(out)
    assert done == KEYS[:FAILING_WRITE - 1]  # the interrupted job has no final file
    assert half_written in others
    rerun(out)
    done, others = files(out)
    assert done == KEYS and others == []  # the rerun completed and left no temporary file
    assert not half_written.exists()
    assert_same_results(out, reference)


def test_a_failing_parquet_writer_leaves_no_result(tmp_path, reference, monkeypatch):
    out = tmp_path / "failing"
    real, calls = pq.write_table, []

    def write_half_then_fail(table, where, *args, **kwargs):
        calls.append(where)
        real(table, where, *args, **kwargs)
        if len(calls) == FAILING_WRITE:
            with open(where, "r+b") as handle:
                handle.truncate(Path(where).stat().st_size // 2)
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", write_half_then_fail)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            code = run_cli.main([*GRID, "--out", str(out)])
        except OSError as error:  # the runner may raise the job's error or report it
            assert "No space" in str(error)
        else:
            assert code != 0, "the runner reported success although a result was not written"
    done, others = files(out)
    assert done == KEYS[:FAILING_WRITE - 1] and others == []  # nothing of the failed write
    monkeypatch.setattr(pq, "write_table", real)
    rerun(out)
    done, others = files(out)
    assert done == KEYS and others == []
    assert_same_results(out, reference)


def test_a_failing_write_keeps_the_previous_file(tmp_path, monkeypatch):
    """Overwriting is atomic too: a failed write leaves the earlier result intact."""
    import pyarrow as pa

    store = ResultsStore(tmp_path)
    first = pa.table({"x": [1, 2, 3]})
    store.write("b/o/seed-0000", first, {"n": 1})

    def fail(table, where, *args, **kwargs):
        Path(where).write_bytes(b"PAR1 half")
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(pq, "write_table", fail)
    with pytest.raises(OSError, match="Input/output"):
        store.write("b/o/seed-0000", pa.table({"x": [9]}), {"n": 2})
    table, manifest = store.read("b/o/seed-0000")
    assert table.equals(first) and manifest == {"n": 1}
    assert sorted(p.name for p in (tmp_path / "b" / "o").iterdir()) == ["seed-0000.parquet"]


def test_the_store_knows_what_is_done_and_writes_canonical_manifests(tmp_path):
    import json

    import pyarrow as pa

    first, second = ResultsStore(tmp_path / "one"), ResultsStore(tmp_path / "two")
    assert not first.is_done("b/o/seed-0000")
    manifest = {"z": 1, "a": {"y": 2, "b": 3}}
    first.write("b/o/seed-0000", pa.table({"x": [1]}), manifest)
    second.write("b/o/seed-0000", pa.table({"x": [1]}), {"a": {"b": 3, "y": 2}, "z": 1})
    assert first.is_done("b/o/seed-0000") and not first.is_done("b/o/seed-0001")
    # the manifest is stored with sorted keys: the same run gives the same bytes in any process
    raw = [pq.read_schema(s.path("b/o/seed-0000")).metadata[b"nas_harness.manifest"]
           for s in (first, second)]
    assert raw[0] == raw[1] == json.dumps(manifest, sort_keys=True).encode()
    assert first.remove_partial_files() == 0


def test_the_experiment_file_records_config_and_versions_and_refuses_another(tmp_path):
    import json

    from harness.results import ExperimentMismatchError

    store = ResultsStore(tmp_path / "nested" / "folder")  # created with its parents
    store.open_experiment({"budget": 150}, {"numpy": "2.0"})
    text = (tmp_path / "nested" / "folder" / "experiment.json").read_text()
    assert text == json.dumps({"config": {"budget": 150}, "versions": {"numpy": "2.0"}},
                              indent=1) + "\n"
    assert store.experiment() == {"config": {"budget": 150}, "versions": {"numpy": "2.0"}}
    store.open_experiment({"budget": 150}, {"numpy": "2.1"})  # same config: accepted as is
    assert store.experiment()["versions"] == {"numpy": "2.0"}
    with pytest.raises(ExperimentMismatchError) as error:
        store.open_experiment({"budget": 100}, {})
    assert str(error.value).startswith(
        f"{store.root} holds an experiment with another configuration: budget")


def test_the_sweep_removes_orphaned_temporaries_but_not_a_claimed_write(tmp_path):
    import pyarrow as pa

    store = ResultsStore(tmp_path)
    store.open_experiment({"budget": 1}, {})
    keys = ("b/o/seed-0000", "b/o/seed-0001", "c/p/seed-0002")
    for key in keys:  # what a writer killed mid-write leaves: .<name>.<random>.tmp
        store.path(key).parent.mkdir(parents=True, exist_ok=True)
        (store.path(key).parent / f".{store.path(key).name}.k3x9.tmp").write_bytes(b"PAR1 half")
    store.write("b/o/seed-0003", pa.table({"x": [1]}), {"n": 3})
    with store.claim("b/o/seed-0001") as mine:  # a runner writing seed-0001 right now
        assert mine
        assert store.remove_partial_files() == 2
        left = [p.relative_to(tmp_path) for p in tmp_path.glob("*/*/.*.tmp")]
        assert [str(p) for p in left] == ["b/o/.seed-0001.parquet.k3x9.tmp"]
    assert store.remove_partial_files() == 1  # its claim released: an orphan too
    assert not list(tmp_path.glob("*/*/.*.tmp"))
    assert list(store.job_keys()) == ["b/o/seed-0003"]


def test_an_experiment_grows_in_seeds_and_names_every_other_difference(tmp_path):
    import json

    from harness.results import ExperimentMismatchError

    store = ResultsStore(tmp_path)
    config = {"seeds": 3, "budget": 150, "optimizer_config": {"re": {"population_size": 10}}}
    store.open_experiment(config, {"numpy": "2.0"})
    store.open_experiment({**config, "seeds": 2}, {})  # fewer seeds: a part of the experiment
    assert store.experiment() == {"config": config, "versions": {"numpy": "2.0"}}
    store.open_experiment({**config, "seeds": 5}, {})  # more seeds: the file records them
    grown = {"config": {**config, "seeds": 5}, "versions": {"numpy": "2.0"}}
    assert (tmp_path / "experiment.json").read_text() == json.dumps(grown, indent=1) + "\n"
    assert not store.is_claimed("b/o/seed-0000")
    with store.claim("b/o/seed-0000") as mine:
        assert mine and store.is_claimed("b/o/seed-0000")  # held: another claim fails
    with pytest.raises(ExperimentMismatchError) as error:
        store.open_experiment({"seeds": 9, "budget": 100, "noise": "mean",
                               "optimizer_config": {"re": {"population_size": 3}}}, {})
    assert str(error.value) == (
        f"{tmp_path} holds an experiment with another configuration: "
        "budget: 150 in the folder, 100 now; noise: '(not set)' in the folder, 'mean' now; "
        "optimizer_config.re.population_size: 10 in the folder, 3 now. Use another --out "
        "(the default folder names these settings) or delete it")
