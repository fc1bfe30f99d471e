"""The NB201 paper protocol preset against the paper's published numbers.

Dong & Yang (ICLR 2020), Table 5, CIFAR-10 test accuracy over 500 runs: REA 93.92 ± 0.30,
RS 93.70 ± 0.36 (mean ± std). With 100 seeds our mean must lie within one reported standard
deviation of the published mean, and REA must beat RS.
"""

import pytest

from harness import run as run_cli
from harness.results import ResultsStore
from harness.summary import final_rows, mean_std_se

PUBLISHED = {"rs": (93.70, 0.36), "re": (93.92, 0.30)}


def test_nb201_paper_protocol_reproduces_published_test_accuracy(tmp_path, capsys):
    out = tmp_path / "paper"
    assert run_cli.main(["--protocol", "nb201-paper", "--seeds", "100", "--out", str(out),
                         "-j", "2", "--no-progress", "--no-per-seed"]) == 0
    rows = final_rows(ResultsStore(out))
    means = {}
    for opt, (mean, std) in PUBLISHED.items():
        ours = [r["incumbent_test"] for r in rows if r["optimizer"] == opt]
        assert len(ours) == 100
        means[opt], _, _ = mean_std_se(ours)
        assert means[opt] == pytest.approx(mean, abs=std), opt
    assert means["re"] > means["rs"]
    _, manifest = ResultsStore(out).read("nb201-cifar10/re/seed-0000")
    assert manifest["job"]["fidelity"] == "hp12"
    assert manifest["job"]["budget"] == {"queries": None, "seconds": 12000.0}
    assert manifest["optimizer_config"] == {"population_size": 10, "sample_size": 3,
                                           "deduplicate": False}
    assert manifest["spent"]["seconds"] <= 12000.0
