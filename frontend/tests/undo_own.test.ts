import { describe, expect, it } from "vitest";
import { type StaleInfo, UndoManager } from "../src/core/undo";
import { type FakeClient, flushAll, outline, pair } from "./fakeserver";

/** Two people on one fake server; A's undo manager is wired as the page wires it. */
function two() {
  const { server, a, b } = pair();
  const stale: StaleInfo[] = [];
  const u = new UndoManager((op) => a.engine.submit(op), () => a.engine.view!, undefined, a.engine);
  u.onStale = (info) => stale.push(info);
  const ub = new UndoManager((op) => b.engine.submit(op), () => b.engine.view!, undefined, b.engine);
  return { server, a, b, u, ub, stale };
}

function setup() {
  const t = two();
  t.u.edit([{ kind: "create", id: "p1", type: "proposal", parent: null, key: "a0", text: "P1" }]);
  t.u.edit([{ kind: "create", id: "p2", type: "proposal", parent: null, key: "a1", text: "P2" }]);
  flushAll(t.a, t.b);
  t.ub.edit([{ kind: "create", id: "x", type: "critique", parent: "p1", key: "a0", text: "X" }]);
  flushAll(t.a, t.b);
  return t;
}

describe("own-only structural undo", () => {
  it("skips my move when someone moved the node later, and says who", () => {
    const { a, b, u, ub, stale } = setup();
    u.edit([{ kind: "move", id: "x", parent: "p2", key: "a0" }]);
    flushAll(a, b);
    ub.edit([{ kind: "move", id: "x", parent: "p1", key: "b0" }]);
    flushAll(a, b);
    u.undo(); // my move is stale: skipped, and the press goes on to my create of p2
    flushAll(a, b);
    expect(stale).toHaveLength(1);
    expect(stale[0]).toMatchObject({ id: "x", group: "position", write: { actor: 2 }, redo: false });
    // The step before (creating p2) is undone instead; B's move was not reverted.
    expect(outline(b.engine.view!)).toEqual(["proposal:P1[]", "  critique:X[]"]);
  });

  it("undoes my move while nobody else touched the node", () => {
    const { a, b, u, stale } = setup();
    u.edit([{ kind: "move", id: "x", parent: "p2", key: "a0" }]);
    flushAll(a, b);
    u.undo();
    flushAll(a, b);
    expect(stale).toEqual([]);
    expect(outline(b.engine.view!)).toEqual(["proposal:P1[]", "  critique:X[]", "proposal:P2[]"]);
    u.redo();
    flushAll(a, b);
    expect(outline(b.engine.view!)).toEqual(["proposal:P1[]", "proposal:P2[]", "  critique:X[]"]);
  });

  it("sends the undo with if_seq so the server refuses it when another move got there first", () => {
    const { server, a, b, u } = setup();
    u.edit([{ kind: "move", id: "x", parent: "p2", key: "a0" }]);
    flushAll(a, b);
    // B's move reaches the server but not yet A: A cannot know; the server must refuse.
    ub_move(b);
    b.flush();
    const rejects: unknown[] = [];
    a.events.length = 0;
    u.undo();
    a.flush();
    for (const e of a.events) if (e.kind === "reject") rejects.push(e.data);
    expect(rejects).toMatchObject([{ code: "stale", op: { kind: "move", if_seq: { position: expect.any(Number) } } }]);
    flushAll(a, b);
    expect(server.state.get("x")!.parent).toBe("p1");
    expect(outline(a.engine.view!)).toEqual(outline(b.engine.view!));
  });

  it("undoes two of my own moves of one node in a row", () => {
    const { a, b, u, stale } = setup();
    u.edit([{ kind: "move", id: "x", parent: "p2", key: "a0" }]);
    u.edit([{ kind: "move", id: "x", parent: "p1", key: "c0" }]);
    flushAll(a, b);
    u.undo();
    flushAll(a, b);
    u.undo();
    flushAll(a, b);
    expect(stale).toEqual([]);
    expect(a.engine.view!.get("x")).toMatchObject({ parent: "p1", key: "a0" });
  });

  it("does not put back my older position over someone's move that came between my two moves", () => {
    const { a, b, u, ub, stale } = setup();
    u.edit([{ kind: "move", id: "x", parent: "p2", key: "a0" }]);
    flushAll(a, b);
    ub.edit([{ kind: "move", id: "x", parent: "p1", key: "d0" }]);
    flushAll(a, b);
    u.edit([{ kind: "move", id: "x", parent: "p2", key: "b0" }]);
    flushAll(a, b);
    u.undo(); // back to where B had put it
    flushAll(a, b);
    expect(a.engine.view!.get("x")).toMatchObject({ parent: "p1", key: "d0" });
    // Would revert B's move: skipped; my create of p2 is undone instead, x stays where B put it.
    u.undo();
    flushAll(a, b);
    expect(stale).toMatchObject([{ id: "x", write: { actor: 2 } }]);
    expect(b.engine.view!.get("p2")!.deleted).toBe(true);
    expect(b.engine.view!.get("x")).toMatchObject({ parent: "p1", key: "d0", deleted: false });
  });

  it("skips undoing my delete after someone restored the node, and restores texts edited since", () => {
    const { a, b, u, stale } = setup();
    u.edit([{ kind: "delete", id: "p1" }]);
    flushAll(a, b);
    b.engine.submit({ kind: "restore", id: "p1" });
    flushAll(a, b);
    b.engine.editText("x", "X edited by B");
    flushAll(a, b);
    u.undo();
    flushAll(a, b);
    expect(stale).toMatchObject([{ id: "p1", group: "deleted", write: { actor: 2 } }]);
    // Skipped on to my create of p2: it goes; B's restore of p1 and B's text stand.
    expect(outline(b.engine.view!)).toEqual(["proposal:P1[]", "  critique:X edited by B[]"]);
  });

  it("undo of my delete brings the subtree back with the text others typed before it", () => {
    const { a, b, u } = setup();
    b.engine.editText("x", "X typed by B");
    flushAll(a, b);
    u.edit([{ kind: "delete", id: "p1" }]);
    flushAll(a, b);
    u.undo();
    flushAll(a, b);
    expect(outline(b.engine.view!)).toEqual(["proposal:P1[]", "  critique:X typed by B[]", "proposal:P2[]"]);
  });

  it("redo is skipped too when someone changed the node after my undo", () => {
    const { a, b, u, ub, stale } = setup();
    u.edit([{ kind: "move", id: "x", parent: "p2", key: "a0" }]);
    flushAll(a, b);
    u.undo();
    flushAll(a, b);
    ub.edit([{ kind: "move", id: "x", parent: "p2", key: "z0" }]);
    flushAll(a, b);
    u.redo();
    flushAll(a, b);
    expect(stale).toMatchObject([{ id: "x", redo: true, write: { actor: 2 } }]);
    expect(b.engine.view!.get("x")).toMatchObject({ parent: "p2", key: "z0" });
  });

  it("does not undo my create when someone has typed into the node since", () => {
    const { a, b, u, stale } = setup();
    u.edit([{ kind: "create", id: "mine", type: "critique", parent: "p2", key: "a0" }]);
    flushAll(a, b);
    b.engine.editText("mine", "B's critique");
    flushAll(a, b);
    u.undo();
    flushAll(a, b);
    // Skipped, and so are my creates of p2 (B's text is inside) and p1 (B's critique x is).
    expect(stale).toMatchObject([
      { id: "mine", group: "text", write: { actor: 2 } },
      { id: "mine", group: "text", write: { actor: 2 } },
      { id: "x", group: "position", write: { actor: 2 } },
    ]);
    expect(b.engine.view!.get("mine")).toMatchObject({ text: "B's critique", deleted: false });
    expect(outline(b.engine.view!)).toEqual(["proposal:P1[]", "  critique:X[]", "proposal:P2[]", "  critique:B's critique[]"]);
  });

  it("undoes my create after my own typing in it, typing first", () => {
    const { a, b, stale } = setup();
    const u = new UndoManager(
      (op) => a.engine.submit(op),
      () => a.engine.view!,
      { step: (id, redo) => a.engine.undoText(id, redo), close: (id) => a.engine.closeTextStep(id) },
      a.engine,
    );
    u.onStale = (info) => stale.push(info);
    u.edit([{ kind: "create", id: "mine", type: "critique", parent: "p2", key: "a0" }]);
    a.engine.editText("mine", "my words");
    u.textEdited("mine");
    u.undo(); // the typing, in flight
    u.undo(); // the create, at once
    flushAll(a, b);
    expect(stale).toEqual([]);
    expect(b.engine.view!.get("mine")!.deleted).toBe(true);
    expect(a.events.filter((e) => e.kind === "reject")).toEqual([]);
  });
});

function ub_move(b: FakeClient): void {
  b.engine.submit({ kind: "move", id: "x", parent: "p1", key: "b0" });
}
