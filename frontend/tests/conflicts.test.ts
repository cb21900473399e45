import { describe, expect, it } from "vitest";
import type { ConflictInfo } from "../src/core/sync";
import type { Op } from "../src/core/types";
import { type FakeClient, flushAll, pair } from "./fakeserver";

function setup() {
  const { a, b } = pair();
  const ops: Op[] = [
    { kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "Plan" },
    { kind: "create", id: "q", type: "proposal", parent: null, key: "a1", text: "Other" },
    { kind: "create", id: "r", type: "proposal", parent: null, key: "a2", text: "Third" },
    { kind: "create", id: "c", type: "critique", parent: "p", key: "a0", text: "Flaw" },
  ];
  for (const op of ops) a.engine.submit(op);
  flushAll(a, b);
  return { a, b };
}

const conflicts = (c: FakeClient) => c.events.filter((e) => e.kind === "conflict").map((e) => e.data as ConflictInfo);

describe("structural conflicts are told to both people", () => {
  it("typing in a node someone deleted meanwhile is told with the typed text and who deleted it", async () => {
    const { a, b } = setup();
    b.engine.submit({ kind: "delete", id: "p" });
    b.flush(); // the server deletes p before a's typing arrives
    a.engine.editText("c", "Flaw, and more");
    flushAll(a, b);
    await Promise.resolve();
    expect(conflicts(a)).toEqual([{ kind: "edit-deleted", id: "c", actor: 2, text: "Flaw, and more" }]);
    expect(a.events.filter((e) => e.kind === "reject")).toHaveLength(1); // the page shows the conflict only
    expect(a.engine.view!.get("c")!.deleted).toBe(true);
  });

  it("the person deleting a node someone is editing is told too", async () => {
    const { a, b } = setup();
    b.engine.receive({ type: "presence", conn: "other", user: { id: 1, username: "u1", name: "u1" }, node: "c", editing: true });
    b.engine.submit({ kind: "delete", id: "p" });
    await Promise.resolve();
    expect(conflicts(b)).toEqual([{ kind: "deleted-while-editing", id: "p", actor: 1, node: "c" }]);
    flushAll(a, b);
  });

  it("two moves of one node close together are told to both, with where the other had put it", () => {
    const { a, b } = setup();
    a.engine.submit({ kind: "move", id: "c", parent: "q", key: "a0" });
    b.engine.submit({ kind: "move", id: "c", parent: "r", key: "a0" });
    a.flush(); // a's move is first in the log, b's second: b's stands
    flushAll(a, b);
    expect(a.engine.view!.get("c")!.parent).toBe("r");
    expect(conflicts(a)).toEqual([
      { kind: "move", id: "c", actor: 2, mineWon: false, back: { parent: "q", key: "a0", type: "critique" } },
    ]);
    expect(conflicts(b)).toEqual([
      { kind: "move", id: "c", actor: 1, mineWon: true, back: { parent: "q", key: "a0", type: "critique" } },
    ]);
  });

  it("a move long after another one is not a conflict", () => {
    const { a, b } = setup();
    a.engine.submit({ kind: "move", id: "c", parent: "q", key: "a0" });
    flushAll(a, b);
    a.clock += 60_000;
    b.clock += 60_000;
    b.engine.submit({ kind: "move", id: "c", parent: "r", key: "a0" });
    flushAll(a, b);
    expect(conflicts(a)).toEqual([]);
    expect(conflicts(b)).toEqual([]);
  });
});
