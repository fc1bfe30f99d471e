"""The perf script's split of mo-re's time (``benchmarks.replayed_mo_re``) is only meaningful if
the replay walks mo-re's path: the same archs in the same order, from the recorded winners."""

from __future__ import annotations

from benchmarks.perf_multiobjective import RECORDED, REPLAYED, _job
from benchmarks.replayed_mo_re import RecordedMORE, ReplayedMORE
from harness import search


def test_a_replay_of_recorded_winners_evaluates_what_mo_re_evaluated():
    RecordedMORE.winners.clear()
    plain, recorded = (search.run(_job("mo-re", 7, 80, path))[0] for path in (None, RECORDED))
    winners = RecordedMORE.winners[0]
    # one tournament per step after the random population, and the ask the budget refused
    assert len(winners) == 80 - 30 + 1
    ReplayedMORE.queue[:] = [winners]
    replayed = search.run(_job("mo-re", 7, 80, REPLAYED))[0]
    assert (replayed.column("arch").to_pylist() == recorded.column("arch").to_pylist()
            == plain.column("arch").to_pylist())
    assert replayed.column("hypervolume") == plain.column("hypervolume")
    # other winners lead elsewhere: the replay follows the list, it does not rank
    ReplayedMORE.queue[:] = [[(w + 1) % 30 for w in winners]]
    elsewhere = search.run(_job("mo-re", 7, 80, REPLAYED))[0]
    assert elsewhere.column("arch").to_pylist() != plain.column("arch").to_pylist()
