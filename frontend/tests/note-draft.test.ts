/**
 * A note being written merges other people's writes of it at once (core/note-draft.ts), with
 * the writer's caret and unsent typing kept; the server (here the fake, with the same merge)
 * ends with everyone's sentences, each in one piece.
 */
import { describe, expect, it } from "vitest";
import mergeVectors from "../../tests/vectors/merge_text.json";
import { NoteDraft } from "../src/core/note-draft";
import { mergeText, mergeTextAt } from "../src/core/ytext";
import { FakeClient, FakeServer, flushAll } from "./fakeserver";

describe("mergeTextAt", () => {
  it("gives mergeText's text for every shared vector", () => {
    for (const c of mergeVectors.cases) expect(mergeTextAt(c.base, c.mine, c.theirs, []).text).toBe(mergeText(c.base, c.mine, c.theirs));
  });

  it("moves a caret by the other side's edits before it, not by those after it", () => {
    // Edits on both sides of the caret: guessing from the common prefix and suffix put the
    // caret after the second one.
    const r = mergeTextAt("one two three", "one two! three", "ONE one two three THREE", [8]);
    expect(r.text).toBe("ONE one two! three THREE");
    expect(r.at).toEqual([12]);
  });

  it("keeps the caret after this side's own unsent typing, with the other's text at that place after it", () => {
    const r = mergeTextAt("Note:", "Note: mine", "Note: theirs", [10]);
    expect(r.text).toBe("Note: mine theirs");
    expect(r.at).toEqual([10]);
  });

  it("keeps a caret at a place where the other side typed before that text", () => {
    const r = mergeTextAt("Note:", "Note:", "Note: theirs", [5]);
    expect(r).toEqual({ text: "Note: theirs", at: [5] });
  });

  it("maps a selection, and counts characters outside the basic plane as two", () => {
    const r = mergeTextAt("a😀 b c", "a😀 b c", "X a😀 b c", [3, 6]);
    expect(r).toEqual({ text: "X a😀 b c", at: [5, 8] });
  });
});

/** A note field: the text in it, its caret, and the draft that writes it (as the details panel). */
class Field {
  draft: NoteDraft;
  value: string;
  caret: number;
  constructor(
    readonly c: FakeClient,
    readonly id: string,
  ) {
    const node = c.engine.view!.get(id)!;
    this.draft = new NoteDraft(c.engine.confirmed!.get(id)!.note, node.note);
    this.value = node.note;
    this.caret = this.value.length;
  }
  type(s: string): void {
    this.value = this.value.slice(0, this.caret) + s + this.value.slice(this.caret);
    this.caret += s.length;
  }
  write(): void {
    if (!this.draft.unsent(this.value)) return;
    this.c.engine.submit({ kind: "set", id: this.id, field: "note", value: this.value, base: this.draft.base });
    this.draft.wrote(this.value);
  }
  logged(note: string, mine: boolean): void {
    const r = this.draft.logged(note, mine, this.value, [this.caret], !this.c.engine.isLocked(this.id, "note"));
    this.value = r.draft;
    this.caret = r.at[0];
  }
}

function twoWriters(note: string) {
  const server = new FakeServer("game");
  const fields: Record<string, Field> = {};
  const hook = (name: string) => ({
    onNote: (id: string, n: string, mine: boolean) => {
      if (fields[name]?.id === id) fields[name].logged(n, mine);
    },
  });
  const a = new FakeClient(server, "A", 1, hook("A"));
  const b = new FakeClient(server, "B", 2, hook("B"));
  a.connect();
  b.connect();
  flushAll(a, b);
  a.engine.submit({ kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "Plan", note });
  flushAll(a, b);
  fields.A = new Field(a, "p");
  fields.B = new Field(b, "p");
  return { server, a, b, fa: fields.A, fb: fields.B };
}

describe("Two people writing one note", () => {
  it("see each other's sentence while writing, their own caret and unsent typing kept", () => {
    const { server, a, b, fa, fb } = twoWriters("Sources: A.");
    fb.caret = 0;
    fb.type("Bob: ");
    fa.type(" Alice");
    fb.write();
    b.flush();
    flushAll(a);
    // Alice has not written yet: bob's words are in her field, her unsent typing and caret stay.
    expect(fa.value).toBe("Bob: Sources: A. Alice");
    expect(fa.caret).toBe(fa.value.length);
    fa.type(" cites 2018.");
    fa.write();
    flushAll(a, b);
    const want = "Bob: Sources: A. Alice cites 2018.";
    expect(server.state.get("p")!.note).toBe(want);
    expect(fa.value).toBe(want);
    expect(fb.value).toBe(want);
    expect(a.engine.view!.get("p")!.note).toBe(want);
    expect(b.engine.view!.get("p")!.note).toBe(want);
    expect([...a.events, ...b.events]).toEqual([]); // nobody told "replaced"
  });

  it("both writing at the end, writes crossing, keep each sentence in one piece", () => {
    const { server, a, b, fa, fb } = twoWriters("Note:");
    const mine = " Alice cites the 2018 paper.";
    const theirs = " Bob adds a caveat.";
    for (let i = 0; i < Math.max(mine.length, theirs.length); i += 3) {
      fa.type(mine.slice(i, i + 3));
      fb.type(theirs.slice(i, i + 3));
      // Both write before either hears of the other's write, then the answers come.
      fa.write();
      fb.write();
      if (i % 2) {
        a.flush();
        b.flush();
      } else {
        b.flush();
        a.flush();
      }
      flushAll(a, b);
    }
    flushAll(a, b);
    const note = server.state.get("p")!.note;
    expect(note).toContain(mine);
    expect(note).toContain(theirs);
    expect(note.length).toBe("Note:".length + mine.length + theirs.length);
    expect(fa.value).toBe(note);
    expect(fb.value).toBe(note);
  });

  it("keep both people's edits when one writes in the middle and the other at both ends", () => {
    const { server, a, b, fa, fb } = twoWriters("Sources: A. Caveats: none.");
    fa.caret = "Sources: A".length;
    fa.type(", B");
    fb.caret = 0;
    fb.type("Intro. ");
    fb.caret = fb.value.length;
    fb.type(" End.");
    fa.write();
    fb.write();
    flushAll(a, b);
    const want = "Intro. Sources: A, B. Caveats: none. End.";
    expect(server.state.get("p")!.note).toBe(want);
    expect(fa.value).toBe(want);
    expect(fb.value).toBe(want);
    expect(fa.value.slice(0, fa.caret)).toBe("Intro. Sources: A, B");
  });
});
