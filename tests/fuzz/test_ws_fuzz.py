"""Websocket fuzzing: more than 10,000 generated and mutated messages against the real consumer.

Messages come from two sources: hypothesis strategies (structured messages of every type with
wrong types, huge numbers, junk, unicode and surrogate escapes, NUL, deep nesting), used as a
plain generator, and a seeded mutator that breaks valid messages (dropped and replaced fields,
byte flips, truncation, binary frames, invalid UTF-8).

Each batch runs over one connection. After every fuzz message a `ping` acts as a barrier: the
fuzz message must have been answered before the `pong`, with a documented code; the socket must
never close and never answer `internal`. Afterwards the tree loaded from the database satisfies
every invariant and equals the replay of its operation log.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as fixed_seed
from hypothesis import strategies as st
from pycrdt import Text

from tests.ws.wshelpers import Closed, Ws
from trees.actions.state_cache import load_state
from trees.domain import replay, ytext
from trees.models import OpLog, Tree

pytestmark = pytest.mark.django_db(transaction=True)

BATCHES = 2 * 52  # per tree kind: 52 connections
HYPOTHESIS_PER_BATCH = 48
MUTATED_PER_BATCH = 50
DOCUMENTED_CODES = {
    "invalid",
    "not_found",
    "deleted",
    "bad_parent_type",
    "cycle",
    "conflict",
    "too_large",
    "forbidden",
    "rate_limited",
    "resync_required",
    "bad_json",
    "not_ready",
}
ANSWERS = {"welcome", "snapshot", "ops", "ack", "nack", "error", "pong"}
# Broadcasts come through the channel layer or the fan-out, whenever they come: the presence
# replies a hello sets off can land after the hello's barrier pong, so they answer no frame.
BROADCASTS = {"presence", "presence_leave", "op", "review", "role"}

# ---- hypothesis strategies (placeholders "@N" become real node ids at send time) ----------

NODE_REF = st.sampled_from([f"@{i}" for i in range(8)])
JUNK_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**30, 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["", "\x00", "\ud800", "\udfff", "a\x00b", "🌳" * 3, "\u202e", "null"]),
)
JUNK = st.recursive(
    JUNK_SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
ID = st.one_of(NODE_REF, NODE_REF, st.uuids().map(str), JUNK_SCALAR)
PARENT = st.one_of(st.none(), NODE_REF, NODE_REF, st.uuids().map(str), JUNK_SCALAR)
TYPE = st.one_of(st.sampled_from(["proposal", "critique", "patch", "problem"]), JUNK_SCALAR)
KEY = st.one_of(
    st.text(alphabet=string.digits + string.ascii_letters, min_size=1, max_size=6), JUNK_SCALAR
)
# Meta as a hostile member sends it (issue 17): lone surrogates and NUL as keys and values,
# and nesting around and far past its 32-level bound (500 levels: tests/ws/test_ws_hostile.py;
# the fuzzer's own id substitution recurses).
BAD_KEY = st.sampled_from(["\ud800", "\udfff", "a\udc00b", "\x00", "k\x00"])
META = st.one_of(
    JUNK,
    st.dictionaries(st.one_of(st.text(max_size=8), BAD_KEY), JUNK, max_size=4),
    st.sampled_from([31, 32, 33, 34, 64, 200]).map(lambda depth: _nested_meta(depth)),
)
TEXT = st.one_of(st.text(max_size=40), st.sampled_from(["x" * 2001, "\x00", "\ud83c"]), JUNK)


def text_update(client: int, insert: str) -> str:
    """A Yjs update inserting `insert` at the start of any node's text (no origins needed)."""
    doc = ytext.load("", "", client_id=client)
    if insert:
        doc.get(ytext.ROOT, type=Text).insert(0, insert)
    return ytext.encode_b64(doc.get_update())


UPDATE = st.one_of(
    st.builds(text_update, st.integers(0, 2**32), st.text(max_size=40)),
    st.builds(lambda b: ytext.encode_b64(b), st.binary(max_size=60)),
    TEXT,
)
TAGS = st.one_of(st.lists(st.text(max_size=10), max_size=5), JUNK)


def _op(kind: str, **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"kind": st.just(kind)}, optional=fields)


OP = st.one_of(
    _op(
        "create",
        id=ID,
        type=TYPE,
        parent=PARENT,
        key=KEY,
        text=TEXT,
        note=TEXT,
        tags=TAGS,
        meta=META,
    ),
    _op(
        "set",
        id=ID,
        field=st.one_of(st.sampled_from(["text", "note", "tags", "meta"]), JUNK_SCALAR),
        value=st.one_of(TEXT, TAGS, META),
    ),
    _op("text", id=ID, update=UPDATE),
    _op("move", id=ID, parent=PARENT, key=KEY, type=TYPE),
    _op("delete", id=ID),
    _op("restore", id=ID),
    _op("link", id=ID, parent=PARENT),
    _op("unlink", id=ID, parent=PARENT),
    st.fixed_dictionaries({"kind": JUNK_SCALAR}, optional={"id": ID}),
    JUNK,
)
N = st.one_of(st.integers(min_value=0, max_value=10**6), st.just(2**62), JUNK_SCALAR)
MESSAGE = st.one_of(
    st.fixed_dictionaries({"type": st.just("op"), "n": N, "op": OP}),
    st.fixed_dictionaries({"type": st.just("op"), "n": N, "op": OP}),
    st.fixed_dictionaries({"type": st.just("op"), "n": N, "op": OP}),
    st.fixed_dictionaries(
        {"type": st.just("hello")},
        optional={
            "client_id": st.one_of(
                st.text(max_size=70),
                JUNK_SCALAR,
                st.sampled_from(["a\x00b", "\ud800", "ok\udfff", "\x00" * 64]),
            ),
            "since": N,
        },
    ),
    st.fixed_dictionaries({"type": st.just("sync")}, optional={"since": N}),
    st.fixed_dictionaries(
        {"type": st.just("presence")},
        optional={"node": st.one_of(NODE_REF, JUNK_SCALAR), "editing": JUNK_SCALAR},
    ),
    st.fixed_dictionaries({"type": JUNK_SCALAR}, optional={"n": N, "op": OP}),
    JUNK,
)


def _nested_meta(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"m": value}
    return value


def generated_batches(count: int, size: int, seed: int) -> list[list[Any]]:
    """Run hypothesis as a plain generator: `count` lists of `size` messages."""
    batches: list[list[Any]] = []

    @fixed_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(st.lists(MESSAGE, min_size=size, max_size=size))
    def collect(messages: list[Any]) -> None:
        batches.append(messages)

    collect()
    while len(batches) < count:  # hypothesis may stop early on a small search space
        batches.append(batches[len(batches) % max(1, len(batches))])
    return batches


def substitute(value: Any, ids: list[str]) -> Any:
    if isinstance(value, str) and value.startswith("@") and value[1:].isdigit():
        return ids[int(value[1:]) % len(ids)] if ids else str(uuid.uuid4())
    if isinstance(value, list):
        return [substitute(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: substitute(item, ids) for key, item in value.items()}
    return value


# ---- the mutator --------------------------------------------------------------------------

JUNK_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    2**64 + 1,
    -(2**70),
    1e308,
    -0.0,
    3.5,
    "",
    "\x00",
    "\ud800",
    "x" * 3000,
    [],
    {},
    [None],
    {"": {}},
    ["@0"],
    "@0",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
]


def deep(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"d": value}
    return value


def valid_messages(rng: random.Random, ids: list[str], kind: str) -> list[dict[str, Any]]:
    node = rng.choice(ids) if ids else str(uuid.uuid4())
    other = rng.choice(ids) if ids else None
    node_type = "problem" if kind == "problem" else rng.choice(["proposal", "critique", "patch"])
    ops = [
        {
            "kind": "create",
            "id": str(uuid.uuid4()),
            "type": node_type,
            "parent": other,
            "text": "t",
            "tags": ["a"],
            "meta": {"m": 1},
        },
        {"kind": "create", "id": str(uuid.uuid4()), "type": node_type, "parent": None},
        {"kind": "set", "id": node, "field": "text", "value": "new text"},
        {"kind": "set", "id": node, "field": "tags", "value": ["x", "y"]},
        {"kind": "text", "id": node, "update": text_update(rng.randrange(3, 2**31), "typed ")},
        {"kind": "move", "id": node, "parent": other, "key": "a0"},
        {"kind": "delete", "id": node},
        {"kind": "restore", "id": node},
        {"kind": "link", "id": node, "parent": other},
        {"kind": "unlink", "id": node, "parent": other},
    ]
    return [
        *({"type": "op", "n": rng.randrange(10**6), "op": op} for op in ops),
        {"type": "hello", "client_id": "fuzz", "since": rng.choice([None, 0, 5])},
        {"type": "sync", "since": rng.randrange(50)},
        {"type": "presence", "node": node, "editing": True},
        {"type": "ping"},
    ]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    return found


def _set_path(value: Any, path: tuple[Any, ...], new: Any, delete: bool = False) -> None:
    for key in path[:-1]:
        value = value[key]
    if delete:
        del value[path[-1]]
    else:
        value[path[-1]] = new


def mutate(rng: random.Random, message: dict[str, Any]) -> tuple[str | bytes, bool]:
    """A broken variant of a valid message: (frame, is_binary)."""
    choice = rng.randrange(9)
    paths = _paths(message)
    if choice == 0 and paths:  # drop a field
        _set_path(message, rng.choice(paths), None, delete=True)
    elif choice == 1 and paths:  # a field of the wrong type
        _set_path(message, rng.choice(paths), rng.choice(JUNK_VALUES))
    elif choice == 2:  # an extra field, possibly deep
        _set_path(message, (rng.choice(["x", "op", "type", "extra"]),), deep(rng.randrange(600)))
    elif choice == 3 and paths:  # deep nesting in a field that is parsed
        _set_path(message, rng.choice(paths), "__DEEP__")
    text = json.dumps(message, ensure_ascii=rng.random() < 0.7)
    if choice == 3 and paths:  # spliced in as text: deeper than json.dumps could write
        depth = rng.choice([50, 600, 2000, 5000, 20_000])
        text = text.replace('"__DEEP__"', "[" * depth + "]" * depth)
    if choice == 4:  # byte flips
        raw = bytearray(text.encode("utf-8", "surrogatepass"))
        for _ in range(rng.randrange(1, 5)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw), True
    if choice == 5:  # truncated
        return text[: rng.randrange(1, len(text))], False
    if choice == 6:  # a nested JSON array past the parser's recursion limit
        depth = rng.choice([2000, 20_000, 32_000])
        return "[" * depth + "]" * depth, False
    if choice == 7:  # NUL and control characters spliced in
        at = rng.randrange(len(text) + 1)
        return text[:at] + rng.choice(["\x00", "\x01\x02", "\u2028", "\ufeff"]) + text[at:], False
    if choice == 8:  # not an object
        return json.dumps(rng.choice([[], [message], "op", 1, None, 2.5])), False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a raw surrogate: a browser cannot send it as text
        return text.encode("utf-8", "surrogatepass"), True
    return text, False


# ---- the run ------------------------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.sent = 0
        self.codes: dict[str, int] = {}
        self.acks = 0


async def exchange(ws: Ws, frame: str | bytes, binary: bool, stats: Stats) -> None:
    """Send one fuzz frame and a ping; the frame must be answered before the pong (broadcasts,
    which arrive when they arrive, are no answer)."""
    if binary:
        await ws.comm.send_to(bytes_data=frame)  # type: ignore[arg-type]
    else:
        await ws.comm.send_to(text_data=frame)  # type: ignore[arg-type]
    await ws.comm.send_to(text_data='{"type":"ping"}')
    stats.sent += 1
    answers: list[dict[str, Any]] = []
    pongs_wanted = 1  # the barrier's
    while True:
        try:
            out = await ws.comm.receive_output(10)
        except TimeoutError:
            raise AssertionError(f"no pong after {frame[:300]!r}; got {answers}") from None
        if out["type"] == "websocket.close":
            raise Closed(out.get("code"))
        message = json.loads(out["text"])
        kind = message.get("type")
        if kind in ("error", "nack"):
            stats.codes[message["code"]] = stats.codes.get(message["code"], 0) + 1
            assert message["code"] in DOCUMENTED_CODES, (frame[:300], message)
        if kind == "ack":
            stats.acks += 1
        if kind in BROADCASTS:
            continue
        if kind == "pong":
            if not answers and _frame_type(frame) == "ping":
                answers.append(message)  # the fuzz ping's own pong; the barrier's follows
                continue
            pongs_wanted -= 1
            if pongs_wanted == 0:
                break
        if kind in ANSWERS:
            answers.append(message)
    # An accepted presence message is answered by its broadcast only.
    assert answers or _frame_type(frame) == "presence", f"no answer to {frame[:300]!r}"


def _frame_type(frame: str | bytes) -> object:
    # Nesting is either <= ~600 or >= 2,000 levels, so that this parse and the server's
    # (whose recursion limit counts a few frames fewer or more) agree.
    text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame  # as the server
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return message.get("type") if isinstance(message, dict) else None


@database_sync_to_async
def node_ids(tree_id: int) -> list[str]:
    from trees.models import Node

    return [str(i) for i in Node.objects.filter(tree_id=tree_id).values_list("id", flat=True)]


@database_sync_to_async
def check_tree(tree_id: int) -> int:
    tree = Tree.objects.get(pk=tree_id)
    state = load_state(tree.pk, tree.kind, tree.version)
    state.check_invariants()
    log = OpLog.objects.filter(tree_id=tree_id).order_by("seq")
    replayed = replay(tree.kind, ((row.seq, row.op, row.actor_id) for row in log))
    assert replayed.snapshot() == state.snapshot()
    assert replayed.version == tree.version
    return len(state.nodes)


@pytest.fixture
def fuzz_limits(settings: Any) -> None:
    settings.GAMETREE_WS_RATE_PER_SECOND = 10**6
    settings.GAMETREE_WS_RATE_BURST = 10**6
    settings.GAMETREE_WS_USER_RATE_PER_SECOND = 10**6
    settings.GAMETREE_WS_USER_RATE_BURST = 10**6


@pytest.mark.timeout(240)
@pytest.mark.parametrize("kind", ["game", "problem"])
async def test_thousands_of_fuzzed_messages_never_crash_the_socket_and_keep_the_tree_valid(
    make_user: Any, make_tree: Any, connect: Any, fuzz_limits: None, kind: str
) -> None:
    owner = await database_sync_to_async(make_user)("fuzzer")
    tree = await database_sync_to_async(make_tree)(owner, kind=kind)
    batches = await database_sync_to_async(generated_batches)(
        BATCHES // 2, HYPOTHESIS_PER_BATCH, 1 if kind == "game" else 2
    )
    rng = random.Random(f"ws-fuzz-{kind}")
    stats = Stats()
    for batch in batches:
        ws = await connect(owner, tree.pk)
        ids = await node_ids(tree.pk)
        await ws.send({"type": "hello", "client_id": "fz", "since": None})
        await ws.expect("snapshot")
        frames: list[tuple[str | bytes, bool]] = []
        for message in batch:
            text = json.dumps(substitute(message, ids))  # escapes surrogates, as browsers do
            frames.append((text, False))
        for _ in range(MUTATED_PER_BATCH):
            frames.append(mutate(rng, rng.choice(valid_messages(rng, ids, kind))))
        rng.shuffle(frames)
        for frame, binary in frames:
            await exchange(ws, frame, binary, stats)
        await ws.comm.disconnect()
    assert stats.sent >= 5000, stats.sent
    assert "internal" not in stats.codes
    assert stats.acks > 10, (stats.acks, stats.codes)  # the fuzz reached the write path
    assert await check_tree(tree.pk) > 0
