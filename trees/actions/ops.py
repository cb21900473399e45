"""Action layer: apply operations to trees. The single write path for tree content.

For each op: lock the tree row -> answer a re-sent op from the log -> validate and apply in
the domain layer -> write the changed nodes, the log row and the new version -> commit ->
broadcast. `tree_apply_ops` does this for many ops (of many trees) in ONE transaction, which
is how a busy process commits thousands of ops per second (group commit); `tree_apply_op` is
the same path for one op.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import IntegrityError, transaction

from trees.actions import state_cache, store
from trees.domain import OpError, TreeState
from trees.domain.errors import ActionError
from trees.domain.validate import check_op_input
from trees.models import Role
from trees.realtime.broadcast import broadcast_ops
from trees.selectors import workshop_tree_role

log = logging.getLogger(__name__)

_WRITE_ROLES = (Role.OWNER, Role.EDITOR)
_MAX_CLIENT_ID = 64
_MAX_N = 2**62


@dataclass(frozen=True)
class OpRequest:
    tree_id: int
    actor_id: int
    client_id: object
    n: object
    op: Any


@dataclass(frozen=True)
class OpResult:
    seq: int
    client_id: str
    n: int
    op: dict[str, Any]
    actor: int | None
    overwrote: int
    dup: bool

    def message(self) -> dict[str, Any]:
        """The protocol's `op` broadcast (without `type`)."""
        return {
            "seq": self.seq,
            "client_id": self.client_id,
            "n": self.n,
            "op": self.op,
            "actor": self.actor,
            "overwrote": self.overwrote,
        }


def check_client_id(client_id: object) -> str:
    """A client id as ops carry it (also checked at the websocket's `hello`)."""
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= _MAX_CLIENT_ID:
        raise ActionError("invalid", "client_id must be a string of 1-64 characters.")
    if "\x00" in client_id or client_id.encode("utf-8", "replace").decode() != client_id:
        # NUL and lone surrogates ("\ud800" is valid JSON) cannot be stored or even queried.
        raise ActionError("invalid", "client_id must be valid Unicode without NUL.")
    return client_id


def _check_client(client_id: object, n: object) -> tuple[str, int]:
    client_id = check_client_id(client_id)
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < _MAX_N:
        raise ActionError("invalid", "n must be a non-negative integer.")
    return client_id, n


def _dup_result(row: store.LoggedRow) -> OpResult:
    _tree_id, client_id, n, seq, op, actor, overwrote = row
    return OpResult(
        seq=seq, client_id=client_id, n=n, op=op, actor=actor, overwrote=overwrote, dup=True
    )


Outcome = OpResult | ActionError


def tree_apply_op(
    *, tree_id: int, actor_id: int, client_id: object, n: object, op: Any
) -> OpResult:
    """Apply one op for `actor_id` as the client's op number `n`; broadcast after commit.

    A re-sent op (same client_id and n) returns the original result with `dup=True` and
    changes nothing. Raises ActionError with a stable code when the op is refused.
    """
    request = OpRequest(tree_id=tree_id, actor_id=actor_id, client_id=client_id, n=n, op=op)
    outcome = tree_apply_ops([request])[0]
    if isinstance(outcome, ActionError):
        raise outcome
    return outcome


def tree_apply_ops(requests: Sequence[OpRequest], *, broadcast: bool = True) -> list[Outcome]:
    """Apply ops, possibly of many trees, in one transaction; one outcome per request.

    With `broadcast=False` the caller broadcasts the fresh results itself once this returns
    (after the commit): the websocket batcher does that from the event loop, which saves a
    thread hop per op.

    A refused op gets an ActionError in its place and changes nothing; the others still
    apply. Input that could fail inside the transaction (lone surrogates, deep nesting) is
    refused before it. If the batch fails as a whole (a database error, an unexpected error
    in one op, or a race with another process on the same client op), each op is retried in
    a transaction of its own so that one cannot sink the rest; an op that still fails gets
    `internal` and was not applied (its transaction rolled back).
    """
    outcomes: list[Outcome | None] = [None] * len(requests)
    todo: list[tuple[int, OpRequest, str, int]] = []
    for index, request in enumerate(requests):
        try:
            client_id, n = _check_client(request.client_id, request.n)
            check_op_input(request.op)
        except ActionError as exc:
            outcomes[index] = exc
            continue
        except OpError as exc:
            outcomes[index] = ActionError(exc.code, exc.message)
            continue
        todo.append((index, request, client_id, n))
    if todo:
        try:
            with transaction.atomic():
                _apply_locked(todo, outcomes, broadcast)
        except IntegrityError as exc:
            if len(todo) > 1:
                _retry_one_by_one(todo, outcomes, broadcast)
            else:
                _answer_race(todo[0], outcomes, exc)
        except Exception:
            if len(todo) == 1:
                raise
            _retry_one_by_one(todo, outcomes, broadcast)
    assert all(outcome is not None for outcome in outcomes)
    return [outcome for outcome in outcomes if outcome is not None]


def _retry_one_by_one(
    todo: list[tuple[int, OpRequest, str, int]], outcomes: list[Outcome | None], broadcast: bool
) -> None:
    for item in todo:
        try:
            try:
                with transaction.atomic():
                    _apply_locked([item], outcomes, broadcast)
            except IntegrityError as exc:
                _answer_race(item, outcomes, exc)
        except Exception:
            # This op alone fails: it gets `internal`, the others keep their own outcomes.
            log.exception("op %s/%s on tree %s failed", item[2], item[3], item[1].tree_id)
            state_cache.forget(item[1].tree_id)
            outcomes[item[0]] = ActionError(INTERNAL, "The server could not apply this op.")


# The code of an op that failed for a reason of the server's; it was not applied.
INTERNAL = "internal"


def _answer_race(
    item: tuple[int, OpRequest, str, int], outcomes: list[Outcome | None], exc: IntegrityError
) -> None:
    """One op that failed on a unique constraint, its transaction rolled back."""
    index, request, client_id, n = item
    state_cache.forget(request.tree_id)
    if isinstance(exc, store.NodeIdTaken):
        outcomes[index] = ActionError("conflict", "That node id is taken.")
        return
    # Two processes raced on the same (client_id, n): the other one won; answer as a dup.
    ident = (request.tree_id, client_id, n)
    row = store.logged_ops([ident]).get(ident)
    if row is None:
        raise exc
    outcomes[index] = _dup_result(row)


def _apply_locked(
    todo: list[tuple[int, OpRequest, str, int]], outcomes: list[Outcome | None], broadcast: bool
) -> None:
    tree_ids = sorted({request.tree_id for _, request, _, _ in todo})
    read = store.read_batch(
        tree_ids,
        sorted({request.actor_id for _, request, _, _ in todo}),
        [(request.tree_id, client_id, n) for _, request, client_id, n in todo],
    )
    trees, roles, logged = read.trees, read.roles, read.logged
    for key in {(request.tree_id, request.actor_id) for _, request, _, _ in todo}:
        if key[0] in trees and roles.get(key) not in _WRITE_ROLES:
            # Not an editor by membership: a workshop may make them one (selectors.tree_role).
            given = workshop_tree_role(key[1], key[0], roles.get(key))
            if given is not None:
                roles[key] = given
    states: dict[int, TreeState] = {}
    versions = {tree_id: version for tree_id, (_, version) in trees.items()}
    touched: dict[int, set[str]] = {}
    log_rows: list[store.LogRow] = []
    accepted: dict[tuple[int, str, int], OpResult] = {}
    fresh: list[tuple[int, OpResult]] = []
    for index, request, client_id, n in todo:
        tree_id = request.tree_id
        tree = trees.get(tree_id)
        role = roles.get((tree_id, request.actor_id))
        if tree is None or role is None:
            outcomes[index] = ActionError("not_found", "No such tree.")
            continue
        ident = (tree_id, client_id, n)
        if ident in logged:
            outcomes[index] = _dup_result(logged[ident])
            continue
        if ident in accepted:
            outcomes[index] = replace(accepted[ident], dup=True)
            continue
        if role not in _WRITE_ROLES:
            outcomes[index] = ActionError("forbidden", "Viewers cannot edit this tree.")
            continue
        state = states.get(tree_id)
        if state is None:
            kind, version = tree
            state = state_cache.state_for(tree_id, kind, version)
            states[tree_id] = state
        seq = versions[tree_id] + 1
        try:
            # under the guard: a lock-free reader may be serialising this cached state
            with state_cache.guard(tree_id):
                applied = state.apply(request.op, seq=seq, actor=request.actor_id)
        except OpError as exc:
            # The domain validates before it mutates, so the cached state is untouched.
            outcomes[index] = ActionError(exc.code, exc.message)
            continue
        except Exception:
            _forget(states)
            raise
        versions[tree_id] = seq
        touched.setdefault(tree_id, set()).update(applied.changed)
        log_rows.append(
            (tree_id, seq, client_id, n, request.actor_id, applied.op, applied.overwrote)
        )
        result = OpResult(
            seq=seq,
            client_id=client_id,
            n=n,
            op=applied.op,
            actor=request.actor_id,
            overwrote=applied.overwrote,
            dup=False,
        )
        accepted[ident] = result
        outcomes[index] = result
        fresh.append((tree_id, result))
    if not log_rows:
        return
    try:
        # Node ids are unique across trees: a create naming a node of another tree makes the
        # upsert raise NodeIdTaken (never a rewrite of that node) and the op gets `conflict`.
        store.write_batch(
            (
                (tree_id, states[tree_id].nodes[node_id])
                for tree_id, node_ids in touched.items()
                for node_id in sorted(node_ids)
            ),
            log_rows,
            {t: v for t, v in versions.items() if v != trees[t][1]},
        )
    except Exception:
        # The in-memory states are ahead of the database now; drop them.
        _forget(states)
        raise
    if broadcast:
        transaction.on_commit(lambda: _broadcast(fresh))


def _forget(states: dict[int, TreeState]) -> None:
    for tree_id in states:
        state_cache.forget(tree_id)


def _broadcast(fresh: list[tuple[int, OpResult]]) -> None:
    by_tree: dict[int, list[dict[str, Any]]] = {}
    for tree_id, result in fresh:
        by_tree.setdefault(tree_id, []).append(result.message())
    broadcast_ops(by_tree)
