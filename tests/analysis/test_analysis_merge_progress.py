"""Analysis layer tests: merge() reports its phases to an optional progress callback."""

from __future__ import annotations

import pytest
from analysis_helpers import two_alignment_trees

from trees.analysis.merge import merge
from trees.analysis.merge.pipeline import PHASES


def test_merge_reports_every_phase_in_order_ending_at_one() -> None:
    calls: list[tuple[str, float]] = []
    merge(two_alignment_trees(), embedder=None, progress=lambda phase, f: calls.append((phase, f)))
    assert [phase for phase, _ in calls] == [*PHASES, "building"]
    assert list(PHASES) == ["reading", "labels", "candidates", "ranking", "suggestions", "building"]
    fractions = [f for _, f in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0


def test_merge_gives_the_same_result_with_or_without_a_progress_callback() -> None:
    quiet = merge(two_alignment_trees(), embedder=None)
    heard = merge(two_alignment_trees(), embedder=None, progress=lambda phase, f: None)
    assert quiet == heard


def test_an_exception_raised_by_the_progress_callback_stops_the_merge() -> None:
    class Stop(Exception):
        pass

    def stop_at_ranking(phase: str, fraction: float) -> None:
        if phase == "ranking":
            raise Stop

    with pytest.raises(Stop):
        merge(two_alignment_trees(), embedder=None, progress=stop_at_ranking)
