import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { UndoManager } from "../src/core/undo";
import { diffInto, LOCAL, mapCaret, mapCaretThrough, ROOT, seedUpdate, type TextDelta } from "../src/core/ytext";
import { FakeClient, FakeServer, flushAll } from "./fakeserver";

const P = { kind: "create" as const, id: "p", type: "proposal" as const, parent: null, key: "a0", text: "hello world" };

function three() {
  const server = new FakeServer("game");
  const cs = [1, 2, 3].map((i) => new FakeClient(server, `c${i}`, i));
  cs.forEach((c) => c.connect());
  flushAll(...cs);
  cs[0].engine.submit(P);
  flushAll(...cs);
  return { server, cs };
}

const text = (c: FakeClient, id = "p") => c.engine.view!.get(id)!.text;

function undoFor(c: FakeClient): UndoManager {
  return new UndoManager(
    (op) => void c.engine.submit(op),
    () => c.engine.view!,
    { step: (id, redo) => c.engine.undoText(id, redo), close: (id) => c.engine.closeTextStep(id) },
  );
}

function type(c: FakeClient, u: UndoManager | null, id: string, value: string): void {
  if (c.engine.editText(id, value).length) u?.textEdited(id);
}

describe("node text (Yjs)", () => {
  it("seeds a never-merged text with the same bytes as the server", () => {
    // The same bytes tests/domain/test_domain_text.py expects from pycrdt.
    const hex = [...seedUpdate("h😀llo wörld")].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(hex).toBe("01010100040101740f68f09f98806c6c6f2077c3b6726c6400");
  });

  it("merges three people typing in one node at once, character by character", () => {
    const { server, cs } = three();
    type(cs[0], null, "p", "hello, world");
    type(cs[1], null, "p", "hello world!");
    type(cs[2], null, "p", "Oh hello world");
    flushAll(...cs);
    flushAll(...cs);
    const truth = server.state.get("p")!.text;
    expect(truth).toBe("Oh hello, world!");
    for (const c of cs) expect(text(c)).toBe(truth);
  });

  it("shows each keystroke to the others as soon as it is delivered, without a pause", () => {
    const { cs } = three();
    type(cs[0], null, "p", "hello world.");
    expect(cs[0].toServer.filter((m) => m.type === "op")).toHaveLength(1); // sent at once
    flushAll(...cs);
    expect(text(cs[1])).toBe("hello world.");
  });

  it("merges an offline edit with an online one on reconnect; nobody's characters are lost", () => {
    const { server, cs } = three();
    const [a, b] = cs;
    a.disconnect();
    type(a, null, "p", "hello brave world");
    type(b, null, "p", "hello world, again");
    flushAll(...cs);
    a.connect();
    flushAll(...cs);
    flushAll(...cs);
    expect(server.state.get("p")!.text).toBe("hello brave world, again");
    for (const c of cs) expect(text(c)).toBe("hello brave world, again");
  });

  it("a remote edit while my typing is in flight keeps both and my view is not overwritten", () => {
    const { cs } = three();
    const [a, b] = cs;
    type(a, null, "p", "hello world 1");
    b.flush(); // nothing from b yet
    type(b, null, "p", "X hello world");
    b.flush(); // b's update reaches the server before a's
    for (const m of a.toClient.splice(0)) a.engine.receive(m); // a hears b, its own op pending
    expect(text(a)).toBe("X hello world 1");
    flushAll(...cs);
    for (const c of cs) expect(text(c)).toBe("X hello world 1");
  });

  it("undo takes back only my own typing, one step per press, and leaves others' characters", () => {
    const { cs } = three();
    const [a, b] = cs;
    const ua = undoFor(a);
    type(a, ua, "p", "hello world, mine");
    ua.seal();
    flushAll(...cs);
    type(b, undoFor(b), "p", "theirs: hello world, mine");
    flushAll(...cs);
    expect(ua.undo()).toBe(true);
    flushAll(...cs);
    for (const c of cs) expect(text(c)).toBe("theirs: hello world");
    expect(ua.redo()).toBe(true);
    flushAll(...cs);
    for (const c of cs) expect(text(c)).toBe("theirs: hello world, mine");
  });

  it("one undo press reverts one node's edit, not the edit of another node before it", () => {
    const { cs } = three();
    const [a] = cs;
    a.engine.submit({ kind: "create", id: "q", type: "proposal", parent: null, key: "a1", text: "second" });
    flushAll(...cs);
    const ua = undoFor(a);
    type(a, ua, "p", "hello world edited");
    ua.seal();
    type(a, ua, "q", "second edited");
    ua.seal();
    ua.undo();
    flushAll(...cs);
    for (const c of cs) expect([text(c, "p"), text(c, "q")]).toEqual(["hello world edited", "second"]);
    ua.undo();
    flushAll(...cs);
    for (const c of cs) expect([text(c, "p"), text(c, "q")]).toEqual(["hello world", "second"]);
  });

  it("says so when others deleted everything of the step being undone", () => {
    const { cs } = three();
    const [a, b] = cs;
    const ua = undoFor(a);
    type(a, ua, "p", "hello world XYZ");
    ua.seal();
    flushAll(...cs);
    type(b, null, "p", "hello world");
    flushAll(...cs);
    expect(() => ua.undo()).toThrowError(/others have since changed/);
    expect(text(a)).toBe("hello world");
  });

  it("a refused text update rolls my unconfirmed typing in that node back to the server's text", () => {
    const { cs } = three();
    const [a] = cs;
    type(a, null, "p", "hello world and more");
    const sent = a.toServer.find((m) => m.type === "op") as { n: number };
    a.toServer = [];
    a.engine.receive({ type: "nack", n: sent.n, code: "too_large", message: "text is too long" });
    expect(text(a)).toBe("hello world");
    expect(a.engine.pending).toHaveLength(0);
  });

  it("keeps the caret where it was when someone else types before or after it", () => {
    expect(mapCaret("hello world", "hello brave world", 2)).toBe(2);
    expect(mapCaret("hello world", "XX hello world", 5)).toBe(8);
    expect(mapCaret("hello world", "hello world!!", 11)).toBe(11);
    expect(mapCaret("hello world", "hello", 8)).toBe(5);
  });

  it("keeps the caret after this person's own space when someone types a space at the same place", () => {
    // Both type " " after "collude" at once, in either order of client ids: the caret stays
    // right after this person's own space (where Yjs anchors it), so their next letters follow
    // it. Guessed from the two strings, it could land before it: "[alice] " instead of " [alice]".
    let guessWrong = 0;
    for (const [mine, theirs] of [
      [10, 20],
      [20, 10],
    ]) {
      const seed = seedUpdate("collude");
      const a = new Y.Doc();
      a.clientID = mine;
      Y.applyUpdate(a, seed);
      const b = new Y.Doc();
      b.clientID = theirs;
      Y.applyUpdate(b, seed);
      a.getText(ROOT).insert(7, " ");
      b.getText(ROOT).insert(7, " ");
      const truth = Y.createRelativePositionFromTypeIndex(a.getText(ROOT), 8, -1);
      const deltas: TextDelta[] = [];
      a.getText(ROOT).observe((e) => deltas.push(e.delta));
      Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
      const text = a.getText(ROOT).toString();
      const want = Y.createAbsolutePositionFromRelativePosition(truth, a)!.index;
      expect(mapCaretThrough("collude ", deltas, text, 8)).toBe(want);
      if (mapCaret("collude ", text, 8) !== want) guessWrong++;
    }
    expect(guessWrong).toBe(1);
  });

  it("maps the caret through inserts and deletes before it, and gives up on changes that do not fit", () => {
    const ins: TextDelta = [{ retain: 2 }, { insert: "XY" }];
    expect(mapCaretThrough("hello", [ins], "heXYllo", 4)).toBe(6);
    expect(mapCaretThrough("hello", [ins], "heXYllo", 2)).toBe(2);
    const del: TextDelta = [{ retain: 1 }, { delete: 3 }];
    expect(mapCaretThrough("hello", [del], "ho", 3)).toBe(1);
    expect(mapCaretThrough("hello", [del], "ho", 5)).toBe(2);
    expect(mapCaretThrough("hello", [ins, del], "hllo", 5)).toBe(4);
    expect(mapCaretThrough("hello", [ins], "something else", 4)).toBeNull();
    expect(mapCaretThrough("hello", [], "hello!", 5)).toBeNull();
  });

  it("two people typing at one place, keystroke by keystroke, each keep their own run", () => {
    // Each replica is a browser: its screen text and caret, its document; every keystroke is
    // diffed in at the caret and sent at once, every remote one moves the caret exactly.
    for (const ids of [
      [10, 20],
      [20, 10],
    ]) {
      const seed = seedUpdate("Debate");
      const people = ids.map((id) => {
        const doc = new Y.Doc();
        doc.clientID = id;
        Y.applyUpdate(doc, seed);
        const p = { doc, shown: "Debate", caret: 6, deltas: [] as TextDelta[] };
        doc.getText(ROOT).observe((e, tr) => {
          if (tr.origin !== LOCAL) p.deltas.push(e.delta);
        });
        return p;
      });
      const words = [" [alice]", " {bob}"];
      for (let i = 0; i < 8; i++) {
        people.forEach((p, k) => {
          const ch = words[k][i];
          if (!ch) return;
          p.shown = p.shown.slice(0, p.caret) + ch + p.shown.slice(p.caret);
          p.caret += 1;
          const sv = Y.encodeStateVector(p.doc);
          diffInto(p.doc, p.shown, LOCAL, p.caret);
          const update = Y.encodeStateAsUpdate(p.doc, sv);
          const other = people[1 - k];
          Y.applyUpdate(other.doc, update, "remote");
          const text = other.doc.getText(ROOT).toString();
          other.caret = mapCaretThrough(other.shown, other.deltas, text, other.caret)!;
          other.deltas = [];
          other.shown = text;
        });
      }
      const final = people[0].doc.getText(ROOT).toString();
      expect(people[1].doc.getText(ROOT).toString()).toBe(final);
      expect(final).toContain(" [alice]");
      expect(final).toContain(" {bob}");
    }
  });
});
