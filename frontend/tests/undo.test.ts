import { describe, expect, it } from "vitest";
import { TreeState } from "../src/core/state";
import { UndoManager, invert } from "../src/core/undo";
import { flushAll, outline, pair } from "./fakeserver";

describe("undo", () => {
  it("inverts every kind of op", () => {
    const s = new TreeState("game");
    s.apply({ kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "old" });
    s.apply({ kind: "create", id: "c", type: "critique", parent: "p", key: "a0" });
    expect(invert({ kind: "create", id: "q", type: "proposal", parent: null }, s)).toEqual([{ kind: "delete", id: "q" }]);
    expect(invert({ kind: "set", id: "p", field: "text", value: "new" }, s)).toEqual([{ kind: "set", id: "p", field: "text", value: "old" }]);
    expect(invert({ kind: "move", id: "c", parent: "p", key: "b0" }, s)).toEqual([{ kind: "move", id: "c", parent: "p", key: "a0" }]);
    expect(invert({ kind: "delete", id: "p" }, s)).toEqual([{ kind: "restore", id: "p" }]);
  });

  it("undoes and redoes through the server, seen by others", () => {
    const { a, b } = pair();
    const u = new UndoManager((op) => a.engine.submit(op), () => a.engine.view!);
    u.edit([{ kind: "create", id: "p", type: "proposal", parent: null, key: "a0" }]);
    u.edit([{ kind: "set", id: "p", field: "text", value: "H" }], "text:p");
    u.edit([{ kind: "set", id: "p", field: "text", value: "He" }], "text:p");
    u.edit([{ kind: "set", id: "p", field: "text", value: "Hello" }], "text:p");
    u.seal();
    u.edit([{ kind: "create", id: "c", type: "critique", parent: "p", key: "a0", text: "C" }]);
    u.edit([{ kind: "move", id: "c", parent: null, type: "proposal", key: "a1" }]);
    flushAll(a, b);
    expect(outline(b.engine.view!)).toEqual(["proposal:Hello[]", "proposal:C[]"]);
    u.undo(); // outdent
    flushAll(a, b);
    expect(outline(b.engine.view!)).toEqual(["proposal:Hello[]", "  critique:C[]"]);
    u.undo(); // create c
    u.undo(); // the whole typing run
    flushAll(a, b);
    expect(outline(b.engine.view!)).toEqual(["proposal:[]"]);
    u.redo();
    u.redo();
    flushAll(a, b);
    expect(outline(b.engine.view!)).toEqual(["proposal:Hello[]", "  critique:C[]"]);
    u.undo();
    u.undo();
    u.undo();
    flushAll(a, b);
    expect(outline(b.engine.view!)).toEqual([]);
    expect(u.canUndo).toBe(false);
  });

  it("reports an undo the server rules no longer allow", () => {
    const s = new TreeState("game");
    const u = new UndoManager((op) => void s.apply(op), () => s);
    u.edit([{ kind: "create", id: "p", type: "proposal", parent: null }]);
    u.edit([{ kind: "create", id: "c", type: "critique", parent: "p" }]);
    s.apply({ kind: "delete", id: "p" }); // someone else deleted the proposal
    expect(() => u.undo()).toThrowError();
    expect(u.canRedo).toBe(false);
  });
});
