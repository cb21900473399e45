"""Domain layer: a whole-text write with `base` merges character by character
(trees/domain/textmerge.py); the shared vectors hold more cases, run against the client too."""

from __future__ import annotations

import random
import time

from pycrdt import Text

from trees.domain import TreeState, ytext
from trees.domain.textmerge import MAX_DIFF_CELLS, merge_text

NODE = "00000000-0000-4000-8000-00000000000b"


def _tree(text: str = "", note: str = "") -> TreeState:
    state = TreeState("game")
    op = {"kind": "create", "id": NODE, "type": "proposal", "parent": None, "text": text}
    state.apply({**op, "note": note} if note else op, seq=1, actor=1)
    return state


def test_a_note_written_in_its_middle_keeps_what_others_wrote_at_both_ends() -> None:
    # The one-span merge lost bob's two sentences here: his edit covered alice's, hers won.
    state = _tree(note="Sources: A. Caveats: none.")
    note = {"kind": "set", "id": NODE, "field": "note"}
    base = "Sources: A. Caveats: none."
    state.apply({**note, "value": "Intro. " + base + " End.", "base": base}, seq=2, actor=2)
    applied = state.apply(
        {**note, "value": "Sources: A, B. Caveats: none.", "base": base}, seq=3, actor=1
    )
    assert state.nodes[NODE].note == "Intro. Sources: A, B. Caveats: none. End."
    assert applied.op["value"] == state.nodes[NODE].note and applied.overwrote == 0


def test_a_text_written_with_base_keeps_typing_on_both_sides_and_every_replica_agrees() -> None:
    state = _tree(text="debate with judges")
    alice = ytext.load(state.nodes[NODE].y, state.nodes[NODE].text, client_id=50)
    # Alice typed at both ends; her updates reached the server first.
    for seq, (pos, word) in enumerate(((0, "Safe "), (23, " today")), start=2):
        before = alice.get_state()
        alice.get(ytext.ROOT, type=Text).insert(pos, word)
        update = ytext.encode_b64(alice.get_update(before))
        state.apply({"kind": "text", "id": NODE, "update": update}, seq=seq, actor=1)
    assert state.nodes[NODE].text == "Safe debate with judges today"
    # A script's rewrite of the middle word, computed from the text it had read.
    op = {"kind": "set", "id": NODE, "field": "text", "value": "debate with juries"}
    applied = state.apply({**op, "base": "debate with judges"}, seq=4, actor=2)
    assert state.nodes[NODE].text == "Safe debate with juries today"
    alice.apply_update(ytext.decode_b64(applied.op["y"]))
    assert ytext.text_of(alice) == state.nodes[NODE].text


def test_a_true_conflict_keeps_both_rewrites_the_servers_first() -> None:
    # Both rewrote "quick": nobody's characters are dropped; they read as Yjs would merge
    # the same two edits typed at once ("slow" replaced all of it, "a" replaced the "i").
    assert merge_text("the quick fox", "the slow fox", "the quack fox") == "the slowa fox"
    # Both appended at one place: the writer's words first (typed right after "Note:").
    assert merge_text("Note:", "Note: mine", "Note: theirs") == "Note: mine theirs"


def test_two_people_writing_at_the_end_of_a_note_keep_their_words_together() -> None:
    """alice and bob both write at the end, each write made before the other's reached them;
    their words alternated write by write when the server's text went first at one place."""
    state = _tree(note="Note:")
    note = {"kind": "set", "id": NODE, "field": "note"}
    writes = [  # (actor, base: the writer's last write, value)
        (1, "Note:", "Note: Alice cites"),
        (2, "Note:", "Note: Bob adds"),
        (1, "Note: Alice cites", "Note: Alice cites the 2018 paper."),
        (2, "Note: Bob adds", "Note: Bob adds a caveat."),
    ]
    for seq, (actor, base, value) in enumerate(writes, start=2):
        state.apply({**note, "value": value, "base": base}, seq=seq, actor=actor)
    assert state.nodes[NODE].note in (
        "Note: Alice cites the 2018 paper. Bob adds a caveat.",
        "Note: Bob adds a caveat. Alice cites the 2018 paper.",
    )


def _long_note(lines: int, seed: int) -> str:
    rnd = random.Random(seed)
    words = ["reward", "model", "human", "oversight", "the", "a", "of", "debate"]
    return "".join(" ".join(rnd.choice(words) for _ in range(12)) + "\n" for _ in range(lines))


def test_a_long_note_edited_far_apart_is_aligned_by_lines_and_keeps_every_edit() -> None:
    base = _long_note(300, seed=1)  # ~20,000 characters: too long to align by characters
    assert (len(base) + 1) ** 2 > MAX_DIFF_CELLS
    lines = base.splitlines(keepends=True)
    theirs = "FIRST LINE\n" + "".join(lines[:-1]) + lines[-1].replace("debate", "DEBATE") + "X\n"
    mine = "".join(lines[:150]) + "MY LINE\n" + "".join(lines[150:])
    started = time.perf_counter()
    merged = merge_text(base, mine, theirs)
    elapsed = time.perf_counter() - started
    want = "FIRST LINE\n" + "".join(lines[:150]) + "MY LINE\n" + "".join(lines[150:-1])
    assert merged == want + lines[-1].replace("debate", "DEBATE") + "X\n"
    assert elapsed < 5  # 0.1 s on an idle machine; generous for a loaded one


def test_one_long_line_edited_far_apart_keeps_the_writers_typing_after_the_others() -> None:
    # No lines to align by: the stretch between the server's two edits counts as one replaced
    # run, so the writer's typing inside it moves to its end, but it is not lost.
    base = "".join(random.Random(2).choice("abcd ") for _ in range(5000))
    theirs = "START " + base + " END"
    mine = base[:2500] + "MINE" + base[2500:]
    merged = merge_text(base, mine, theirs)
    assert merged == theirs + "MINE"


def test_merging_two_texts_at_the_text_limit_is_quick() -> None:
    rnd = random.Random(3)
    base = "".join(rnd.choice("abcdefgh ") for _ in range(2000))

    def scatter(s: str) -> str:
        chars = list(s)
        for _ in range(40):
            chars[rnd.randrange(len(chars))] = rnd.choice("xyz")
        return "".join(chars)

    started = time.perf_counter()
    merged = merge_text(base, scatter(base), scatter(base))
    assert len(merged) >= 1900
    assert time.perf_counter() - started < 5  # about 0.1 s idle
