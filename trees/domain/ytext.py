"""Domain layer: the mergeable text of a node, a Yjs `Y.Text` kept with pycrdt (no Django).

Why a CRDT and why this one: see docs/protocol.md, "Node text". In short, every replica (the
server and each browser) holds the text as a `Y.Text` under the root name `t`; an edit is a
Yjs update (the binary v1 encoding) that every replica applies, in any order, any number of
times, and they all end with the same text in which everyone's characters survive.

A node's stored state is `Node.y`: the base64 of the whole Y document, or "" for a node whose
text has never been merged. "" stands for `seed(text)`: the text inserted in one step by the
fixed client `SEED_CLIENT`, so two replicas that start from the same plain text build the same
items with the same ids (and applying both is a no-op, never a duplicated text). Whole-text
writes (`set text`, imports, review) become a minimal diff made by the fixed client
`SERVER_CLIENT`; writes to one tree are serialised, so its clock is the same on every replica.

Compaction: a Y document keeps an entry per run of edits (deleted runs shrink to a length but
stay, as anchors for concurrent inserts), about 5-6 bytes per keystroke of random editing. Once
a node's state passes `COMPACT_AT` bytes, the op that grew it is logged with `compact`: a fresh
document holding just the current text, written by the client `COMPACT_BASE + seq` (unique to
that op, never a browser's id). Every replica replaces the node's document with it; ids of the
old document no longer exist, so an edit made against it is refused (`conflict`) and the web
client re-applies its unconfirmed edits onto the new document (a Y.Text delta, core/sync.ts).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from pycrdt import Doc, Text

from .errors import OpError

ROOT = "t"
SEED_CLIENT = 1
SERVER_CLIENT = 2
RESERVED_CLIENTS = frozenset({SEED_CLIENT, SERVER_CLIENT})
# Client ids from here on are the server's compactions (browsers pick ids below 2**31 + 3).
COMPACT_BASE = 2**32
# Past this many bytes of state the document is compacted (see the module docstring). Applying
# a keystroke costs about linear in the state (measured 1.7 ms at 8 KiB, 3 ms at 16 KiB, 7.6 ms
# at 32 KiB, 36 ms at 108 KiB, 0.1 ms compacted, load 15): 16 KiB keeps it a few ms, at one
# compaction per ~3,000 scattered keystrokes in one node.
COMPACT_AT = 16 * 1024
# A Y state keeps one entry per run of characters (deleted runs shrink to their length only),
# so 2,000 characters of ordinary editing stay far below this; past it a node refuses edits.
MAX_STATE_BYTES = 128 * 1024
MAX_UPDATE_BYTES = 48 * 1024

_BIT8, _BIT7, _BIT6 = 0x80, 0x40, 0x20
# Item content kinds a plain text may carry: 1 deleted, 4 string; 0 GC and 10 skip structs.
_GC, _DELETED, _STRING, _SKIP = 0, 1, 4, 10


def _invalid(message: str) -> OpError:
    return OpError("invalid", message)


# -- reading an update's header without trusting it ------------------------------------------


class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise _invalid("the text update is truncated")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def uint(self) -> int:
        value, shift = 0, 0
        while True:
            b = self.byte()
            value |= (b & 0x7F) << shift
            if b < 0x80:
                return value
            shift += 7
            if shift > 63:
                raise _invalid("the text update has an oversized number")

    def string(self) -> str:
        size = self.uint()
        end = self.pos + size
        if end > len(self.data):
            raise _invalid("the text update is truncated")
        raw = self.data[self.pos : end]
        self.pos = end
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid("the text update holds invalid UTF-8") from None


def _utf16_len(s: str) -> int:
    return len(s.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class UpdateShape:
    """What an update claims to bring: per client the clock it reaches, and deleted ranges."""

    ends: dict[int, int]
    deletes: list[tuple[int, int, int]]


def read_update(update: bytes) -> UpdateShape:
    """Check that `update` is a v1 update of plain text under root `t`, and read its shape.

    Anything else a Y document could hold (maps, nested types, formatting, embeds) is refused:
    it would grow the stored state without being part of the text.
    """
    r = _Reader(update)
    ends: dict[int, int] = {}
    for _ in range(r.uint()):
        count, client, clock = r.uint(), r.uint(), r.uint()
        for _ in range(count):
            info = r.byte()
            ref = info & 0x1F
            if ref in (_GC, _SKIP):
                clock += r.uint()
                continue
            if info & _BIT8:
                r.uint(), r.uint()
            if info & _BIT7:
                r.uint(), r.uint()
            if not info & (_BIT8 | _BIT7):
                if r.uint() != 1 or r.string() != ROOT:
                    raise _invalid("the text update is not for the node's text")
                if info & _BIT6:
                    raise _invalid("the text update is not for the node's text")
            if ref == _STRING:
                clock += _utf16_len(r.string())
            elif ref == _DELETED:
                clock += r.uint()
            else:
                raise _invalid("a text update may only insert and delete plain text")
        if count:
            ends[client] = max(ends.get(client, 0), clock)
    deletes: list[tuple[int, int, int]] = []
    for _ in range(r.uint()):
        client = r.uint()
        for _ in range(r.uint()):
            deletes.append((client, r.uint(), r.uint()))
    if r.pos != len(update):
        raise _invalid("the text update has trailing bytes")
    return UpdateShape(ends, deletes)


def _state_vector(doc: Doc[Any]) -> dict[int, int]:
    r = _Reader(doc.get_state())
    return {r.uint(): r.uint() for _ in range(r.uint())}


# -- states ------------------------------------------------------------------------------------


def decode_b64(value: str, what: str = "update") -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise _invalid(f"{what} must be base64") from None


def encode_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def seed_update(text: str) -> bytes:
    """The deterministic initial state of a never-merged `text` (see the module docstring)."""
    doc: Doc[Any] = Doc(client_id=SEED_CLIENT)
    if text:
        doc.get(ROOT, type=Text).insert(0, text)
    return doc.get_update()


def load(y: str, text: str, client_id: int = SERVER_CLIENT) -> Doc[Any]:
    """The Y document of a node: its stored state `y`, or the seed of `text` when "" ."""
    doc: Doc[Any] = Doc(client_id=client_id)
    doc.get(ROOT, type=Text)
    doc.apply_update(decode_b64(y, "state") if y else seed_update(text))
    return doc


def text_of(doc: Doc[Any]) -> str:
    return str(doc.get(ROOT, type=Text))


def apply_update(
    y: str, text: str, update: bytes, limit: int, *, server: bool = False
) -> tuple[str, str]:
    """(new state, new text) after `update`; OpError with nothing changed when refused.

    Refused: a malformed or non-text update, one that cannot be integrated fully (it depends
    on edits this replica does not have: its parts would wait in memory and be lost on the next
    load, so replicas would diverge), a text over `limit` characters, or a state too large.
    `server`: the update is the server's own whole-text diff (a logged `set text`).
    """
    if len(update) > MAX_UPDATE_BYTES:
        raise OpError("too_large", f"a text update is larger than {MAX_UPDATE_BYTES} bytes")
    shape = read_update(update)
    doc = load(y, text)
    had = _state_vector(doc)
    try:
        doc.apply_update(update)
    except Exception:  # pycrdt raises a bare ValueError/RuntimeError on undecodable input
        raise _invalid("the text update cannot be decoded") from None
    have = _state_vector(doc)
    if any(have.get(client, 0) < end for client, end in shape.ends.items()) or any(
        have.get(client, 0) < clock + length for client, clock, length in shape.deletes
    ):
        raise OpError(
            "conflict", "the text update depends on edits the server does not have; resync"
        )
    if not server and any(
        have.get(c, 0) != had.get(c, 0) for c in have if c in RESERVED_CLIENTS or c >= COMPACT_BASE
    ):
        # Only the seed and the server's own diffs use these ids; a client may repeat them
        # (an update of a node whose create is not confirmed yet holds the seed) but not add.
        raise _invalid("the text update uses a reserved client id")
    new_text = text_of(doc)
    if len(new_text) > limit:
        raise OpError("too_large", f"text is longer than {limit} characters")
    state = doc.get_update()
    if len(state) > MAX_STATE_BYTES:
        raise OpError("too_large", "the text's edit history is too large")
    return encode_b64(state), new_text


def _utf8_offset(s: str, index: int) -> int:
    # pycrdt indexes text in UTF-8 bytes.
    return len(s[:index].encode("utf-8"))


def server_client(y: str) -> int:
    """The client id of the server's whole-text diffs on this state: `SERVER_CLIENT`, or after
    a compaction the compaction's own id (an id the old document never had, so an edit made
    against the old document can never be anchored on one of these new items)."""
    if not y:
        return SERVER_CLIENT
    r = _Reader(decode_b64(y, "state"))
    compactions = [c for c in _read_clients(r) if c >= COMPACT_BASE]
    return max(compactions, default=SERVER_CLIENT)


def _read_clients(r: _Reader) -> list[int]:
    # The client ids of an encoded v1 update's struct sections (its first part).
    clients = []
    for _ in range(r.uint()):
        count, client, _clock = r.uint(), r.uint(), r.uint()
        clients.append(client)
        for _ in range(count):
            info = r.byte()
            ref = info & 0x1F
            if ref in (_GC, _SKIP):
                r.uint()
                continue
            if info & _BIT8:
                r.uint(), r.uint()
            if info & _BIT7:
                r.uint(), r.uint()
            if not info & (_BIT8 | _BIT7):
                r.uint(), r.string()
            if ref == _STRING:
                r.string()
            elif ref == _DELETED:
                r.uint()
            else:
                raise _invalid("a stored text state holds more than plain text")
    return clients


def compacted(y: str, text: str, seq: int) -> str | None:
    """The compacted state of a node whose state `y` passed `COMPACT_AT` bytes (None below it):
    a fresh document with just `text`, written by `COMPACT_BASE + seq`."""
    if len(y) * 3 // 4 <= COMPACT_AT:
        return None
    doc: Doc[Any] = Doc(client_id=COMPACT_BASE + seq)
    if text:
        doc.get(ROOT, type=Text).insert(0, text)
    else:
        doc.get(ROOT, type=Text)
    return encode_b64(doc.get_update())


def diff_update(y: str, text: str, new_text: str) -> tuple[str, str]:
    """(new state, update) turning the node's text into `new_text` by a minimal edit of
    `server_client(y)`: the common prefix and suffix stay, so concurrent edits there survive."""
    doc = load(y, text, server_client(y))
    current = text_of(doc)
    before = doc.get_state()
    start = 0
    limit = min(len(current), len(new_text))
    while start < limit and current[start] == new_text[start]:
        start += 1
    end_old, end_new = len(current), len(new_text)
    while end_old > start and end_new > start and current[end_old - 1] == new_text[end_new - 1]:
        end_old -= 1
        end_new -= 1
    ytext = doc.get(ROOT, type=Text)
    with doc.transaction():
        if end_old > start:
            del ytext[_utf8_offset(current, start) : _utf8_offset(current, end_old)]
        if end_new > start:
            ytext.insert(_utf8_offset(current, start), new_text[start:end_new])
    return encode_b64(doc.get_update()), encode_b64(doc.get_update(before))
