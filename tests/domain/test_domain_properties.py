"""Domain layer property tests: random operation sequences keep every invariant, rejected
operations change nothing, and the accepted log replays to the same state."""

from __future__ import annotations

from typing import Any

from domain_helpers import random_op
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from trees.domain import OpError, TreeState, replay


def _run(kind: str, data: st.DataObject, steps: int) -> None:
    state = TreeState(kind)
    log: list[tuple[int, dict[str, Any], int | None]] = []
    accepted = 0
    for step in range(steps):
        op = random_op(data.draw, state)
        before = state.snapshot()
        pre = state.copy()
        seq = state.version + 1
        actor = step % 3 + 1
        try:
            applied = state.apply(op, seq=seq, actor=actor)
        except OpError as error:
            event(f"rejected {error.code}")
            assert state.snapshot() == before, (op, error.code)
            assert state.version == seq - 1
        else:
            accepted += 1
            event(f"accepted {applied.op['kind']}")
            log.append((seq, applied.op, actor))
            assert set(applied.changed) <= set(state.nodes)
            # The logged op re-applied to the pre-state gives the same state.
            assert pre.apply(applied.op, seq=seq, actor=actor).op == applied.op
            assert pre.snapshot() == state.snapshot()
        state.check_invariants()
    assert replay(kind, log).snapshot() == state.snapshot()
    assert state.version == accepted


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.data())
def test_random_game_tree_edits_keep_the_invariants_and_replay(data: st.DataObject) -> None:
    _run("game", data, steps=30)


@SETTINGS
@given(st.data())
def test_random_problem_tree_edits_keep_the_invariants_and_replay(data: st.DataObject) -> None:
    _run("problem", data, steps=30)
