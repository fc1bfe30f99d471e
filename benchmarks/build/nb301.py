"""Build the project's NB301 surrogate files from the public YAHPO surrogate.

Usage::

    python -m benchmarks.build.nb301 --source ../shared/data/nb301 [--out benchmarks/data/nb301]

Needs ``pip install onnx onnxruntime`` (``onnx`` at build time only). Reads the YAHPO Gym nb301
surrogate of slds-lmu/yahpo_data's initial commit (``yahpo_surrogate/new_model_initial.onnx``:
the version whose answers agree with NASLib's 725 trained archs, Spearman 0.905, where the later
``model_v2.onnx`` reaches 0.59-0.68; see ``../shared/data/PROVENANCE.md``) and writes:

- ``surrogate.onnx``: the same network with its batch dimension made symbolic. The public file
  fixes every input and output to batch 1, so onnxruntime refuses a batch; no node depends on
  the batch size (the one ``ConstantOfShape`` reads it from the data), so renaming dimension 0
  of the graph's inputs and outputs to ``batch`` is the whole change. The build checks that the
  new graph gives bit-identical answers to the original, one arch at a time, on NASLib's 725
  archs at several epochs.
- ``inputs.json``: how a DARTS genotype becomes the surrogate's ``x_cat`` (34 category codes in
  the order of ``input_order_main_nb301.json``, codes of ``encoding_main.json``), as lookup
  tables the loader indexes with numpy; which edge feature joins which two nodes is read from the
  config space's conditions, not assumed. ``x_cont`` is the epoch (1-98).
- ``MANIFEST.json`` (SHA-256 of both files and of every source) and ``PROVENANCE.md``.

The build stops unless DARTS_V2 gets 95.46 +- 0.05 % at epoch 98 and the Spearman correlation
with the 725 NASLib validation accuracies is at least 0.88.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.spaces.darts import CELLS, N_NODES, OPS, DartsSpace
from benchmarks.store import atomic_write_text, write_manifest

MODEL = "yahpo_surrogate/new_model_initial.onnx"
ENCODING = "yahpo_surrogate/encoding_main.json"
INPUT_ORDER = "yahpo_surrogate/input_order_main_nb301.json"
CONFIG_SPACE = "yahpo_surrogate/config_space_main.json"
NASLIB_725 = "naslib_zc_nasbench301_725.json"
PREFIX = "NetworkSelectorDatasetInfo_COLON_darts_COLON_"
N_EDGES = 14  # edge features per cell: 2 + 3 + 4 + 5 possible (input, node) connections
NA = "#na#"  # the code of an edge or input choice that the genotype does not use
DARTS_V2 = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), "
    "('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), "
    "('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), "
    "('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), "
    "('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)
DARTS_V2_ACC = 95.46  # ../shared/data/PROVENANCE.md, checked there against the same model
MIN_SPEARMAN = 0.88
CHECK_EPOCHS = (1, 50, 98)
BATCH = "batch"


def edge_ids(config_space: dict, cell: str) -> np.ndarray:
    """``edge[k, i]``: the edge feature joining input ``i`` to intermediate node ``k`` (-1: no
    such input), from the conditions ``edge_<cell>_<e>`` active iff ``inputs_node_<cell>_<n>``
    names input ``i``. Node 2's two edges (0, 1) are unconditional: it always reads 0 and 1."""
    edge = np.full((N_NODES, N_NODES + 1), -1, dtype=np.int64)
    edge[0, :2] = (0, 1)
    for cond in config_space["conditions"]:
        child, parent = cond["child"].removeprefix(PREFIX), cond["parent"].removeprefix(PREFIX)
        if not (child.startswith(f"edge_{cell}_") and parent.startswith(f"inputs_node_{cell}_")):
            continue
        node = int(parent.rsplit("_", 1)[1]) - 2
        sources = set.intersection(*({int(s) for s in v.split("_")} for v in cond["values"]))
        if len(sources) != 1:
            raise SystemExit(f"condition of {child} does not name one input: {cond['values']}")
        edge[node, sources.pop()] = int(child.rsplit("_", 1)[1])
    used = edge[edge >= 0]
    if sorted(used.tolist()) != list(range(N_EDGES)):
        raise SystemExit(f"config space conditions do not map the {N_EDGES} edges: {edge}")
    return edge


def input_tables(encoding: dict, order: dict, config_space: dict) -> dict:
    """The lookup tables of ``inputs.json``; see ``benchmarks.nb301`` for how they are used."""
    names = [name.removeprefix(PREFIX) for name in order["cat_names"]]
    if order["cont_names"] != ["epoch"] or len(names) != 34:
        raise SystemExit(f"unexpected surrogate inputs: {order}")
    column = {name: i for i, name in enumerate(names)}
    codes = [encoding[PREFIX + name] for name in names]
    edge_column = [[[column[f"edge_{cell}_{e}"] if e >= 0 else -1 for e in row]
                    for row in edge_ids(config_space, cell)] for cell in CELLS]
    op_codes = [[code[op] for op in OPS] if names[i].startswith("edge_") else [-1] * len(OPS)
                for i, code in enumerate(codes)]
    input_column = [[column[f"inputs_node_{cell}_{k + 2}"] for k in range(1, N_NODES)]
                    for cell in CELLS]
    input_codes = [
        [[[codes[col].get(f"{a}_{b}", -1) for b in range(N_NODES + 1)]
          for a in range(N_NODES + 1)] for col in cols]
        for cols in input_column
    ]
    epoch = next(h for h in config_space["hyperparameters"] if h["name"] == "epoch")
    return {
        "about": "x_cat of the NB301 surrogate: see benchmarks/build/nb301.py",
        "ops": list(OPS),
        "columns": names,
        "na_codes": [code[NA] for code in codes],
        "edge_column": edge_column,  # [cell][node k][input i] -> x_cat column, -1: none
        "op_codes": op_codes,  # [column][op in OPS order] -> code (-1 rows: not an edge)
        "input_column": input_column,  # [cell][node k - 1] for k = 1..3
        "input_codes": input_codes,  # [cell][node k - 1][smaller input][larger input]
        "epochs": [epoch["lower"], epoch["upper"]],
        "outputs": ["valid_acc (%)", "runtime (s)"],
    }


def batched_model(raw: bytes) -> bytes:
    """The model with dimension 0 of every graph input and output renamed ``batch``."""
    import onnx

    model = onnx.load_from_string(raw)
    for value in [*model.graph.input, *model.graph.output]:
        dim = value.type.tensor_type.shape.dim[0]
        if dim.dim_value != 1:
            raise SystemExit(f"{value.name}: expected a fixed batch of 1, got {dim}")
        dim.ClearField("dim_value")
        dim.dim_param = BATCH
    del model.graph.value_info[:]  # inferred shapes of the batch-1 graph; recomputed at load
    onnx.checker.check_model(model)
    return model.SerializeToString()


def encode(archs: np.ndarray, tables: dict) -> np.ndarray:
    """x_cat (n, 34) int32 for a batch, written plainly (the loader has a vectorized twin, which
    the tests check against the numbers this build verified)."""
    out = np.tile(np.asarray(tables["na_codes"], dtype=np.int32), (len(archs), 1))
    for row, arch in enumerate(archs):
        pairs = arch.reshape(len(CELLS), N_NODES, 2, 2)
        for c in range(len(CELLS)):
            for k in range(N_NODES):
                (a, op_a), (b, op_b) = pairs[c, k]
                for src, op in ((a, op_a), (b, op_b)):
                    col = tables["edge_column"][c][k][src]
                    out[row, col] = tables["op_codes"][col][op]
                if k > 0:
                    out[row, tables["input_column"][c][k - 1]] = (
                        tables["input_codes"][c][k - 1][a][b]
                    )
    return out


def check(model: bytes, original: bytes, tables: dict, source: Path) -> dict[str, float]:
    """Bit-identical to the original model; DARTS_V2 and the NASLib Spearman as published."""
    import onnxruntime as ort

    space = DartsSpace()
    naslib = json.loads((source / NASLIB_725).read_text())["cifar10"]
    archs = np.stack([space.from_compact(ast.literal_eval(key)) for key in naslib])
    accuracy = np.array([entry["val_accuracy"] for entry in naslib.values()])
    archs = np.concatenate([space.from_string(DARTS_V2)[None], archs])
    x_cat = encode(archs, tables)
    new = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    old = ort.InferenceSession(original, providers=["CPUExecutionProvider"])
    answers = {}
    for epoch in CHECK_EPOCHS:
        x_cont = np.full((len(archs), 1), epoch, dtype=np.float32)
        batched = new.run(None, {"x_cat": x_cat, "x_cont": x_cont})[0]
        one_by_one = np.concatenate([
            old.run(None, {"x_cat": x_cat[i : i + 1], "x_cont": x_cont[i : i + 1]})[0]
            for i in range(len(archs))
        ])
        if not np.array_equal(batched, one_by_one):
            diff = np.abs(batched - one_by_one).max()
            raise SystemExit(f"batched model differs from the original at epoch {epoch}: {diff}")
        answers[epoch] = batched
    final = answers[max(CHECK_EPOCHS)]
    darts_v2 = float(final[0, 0])
    if abs(darts_v2 - DARTS_V2_ACC) > 0.05:
        raise SystemExit(f"DARTS_V2 gets {darts_v2:.3f} %, expected {DARTS_V2_ACC} +- 0.05")
    spearman = float(np.corrcoef(_ranks(final[1:, 0]), _ranks(accuracy))[0, 1])
    if spearman < MIN_SPEARMAN:
        raise SystemExit(f"Spearman with NASLib's 725 archs is {spearman:.3f} < {MIN_SPEARMAN}")
    return {"darts_v2_valid_acc_epoch98": darts_v2, "spearman_naslib_725": spearman}


def _ranks(values: np.ndarray) -> np.ndarray:
    ranks = np.empty(len(values))
    ranks[np.argsort(values, kind="stable")] = np.arange(len(values))
    return ranks


PROVENANCE = """# NB301 surrogate (`nb301-cifar10`)

Built by `python -m benchmarks.build.nb301 --source ../shared/data/nb301`; `MANIFEST.json` holds
the SHA-256 of each file here and of each source the build read.

- `surrogate.onnx`: the YAHPO Gym nb301 surrogate of the initial commit of
  [slds-lmu/yahpo_data](https://github.com/slds-lmu/yahpo_data) (`new_model_initial.onnx` in
  `../shared/data/nb301/yahpo_surrogate/`), Apache-2.0, trained on the NAS-Bench-301 training
  data (Siems et al. 2020, https://doi.org/10.6084/m9.figshare.13286105.v1, Apache-2.0, as
  YAHPO's README states). Changed here: dimension 0 of its
  inputs and outputs is the symbolic `batch` instead of 1, so that it answers batches; answers
  are bit-identical to the original's (checked by the build on NASLib's 725 archs). The
  project is distributed under the same license (Apache-2.0).
- `inputs.json`: the category codes (from YAHPO's `encoding_main.json`), the order of the 34
  categorical inputs (`input_order_main_nb301.json`) and the edge layout (from the conditions of
  `config_space_main.json`) the project's encoder needs.

Inputs: `x_cat` int32 (n, 34), `x_cont` float32 (n, 1) = epoch 1..98. Outputs (n, 2): CIFAR-10
validation accuracy (%) and training runtime (s) up to that epoch.

Checked at build: DARTS_V2 at epoch 98 {darts_v2:.3f} % (published 95.46); Spearman with the
validation accuracies of NASLib's 725 trained DARTS archs (`naslib_zc_nasbench301_725.json`)
{spearman:.3f}.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="the shared data/nb301 folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "data" / "nb301")
    args = parser.parse_args(argv)
    sources = [MODEL, ENCODING, INPUT_ORDER, CONFIG_SPACE, NASLIB_725]
    for rel in sources:
        if not (args.source / rel).exists():
            raise SystemExit(f"missing build input {args.source / rel}; see PROVENANCE.md")
    read = {rel: json.loads((args.source / rel).read_text()) for rel in sources[1:4]}
    tables = input_tables(read[ENCODING], read[INPUT_ORDER], read[CONFIG_SPACE])
    original = (args.source / MODEL).read_bytes()
    model = batched_model(original)
    figures = check(model, original, tables, args.source)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "surrogate.onnx").write_bytes(model)
    atomic_write_text(args.out / "inputs.json", json.dumps(tables, separators=(",", ":")) + "\n")
    digests = {rel: hashlib.sha256((args.source / rel).read_bytes()).hexdigest()
               for rel in sources}
    write_manifest(args.out, ["inputs.json", "surrogate.onnx"], digests)
    provenance = PROVENANCE.format(darts_v2=figures["darts_v2_valid_acc_epoch98"],
                                   spearman=figures["spearman_naslib_725"])
    atomic_write_text(args.out / "PROVENANCE.md", provenance)
    print(f"wrote surrogate.onnx and inputs.json to {args.out}: " +
          ", ".join(f"{k} {v:.4f}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
