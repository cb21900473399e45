import { describe, expect, it } from "vitest";
import { TreeState } from "../src/core/state";
import { OpError, type Op } from "../src/core/types";
import { outline } from "./fakeserver";

function game(): TreeState {
  const s = new TreeState("game");
  s.apply({ kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "P" }, 1);
  s.apply({ kind: "create", id: "c", type: "critique", parent: "p", key: "a0", text: "C" }, 2);
  s.apply({ kind: "create", id: "x", type: "patch", parent: "c", key: "a0", text: "X" }, 3);
  return s;
}

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof OpError) return e.code;
    throw e;
  }
  return "ok";
}

describe("TreeState", () => {
  it("orders siblings by key then id as byte strings", () => {
    const s = new TreeState("problem");
    s.apply({ kind: "create", id: "b", type: "problem", parent: null, key: "a1", text: "b" });
    s.apply({ kind: "create", id: "a", type: "problem", parent: null, key: "a1", text: "a" });
    s.apply({ kind: "create", id: "z", type: "problem", parent: null, key: "Zz", text: "z" });
    s.apply({ kind: "create", id: "c", type: "problem", parent: null, key: "a0", text: "c" });
    // "a" got a rewritten key after "b"'s because the key was taken
    expect(s.get("a")!.key > "a1").toBe(true);
    expect(outline(s).map((l) => l.split(":")[1][0])).toEqual(["z", "c", "b", "a"]);
  });

  it("orders equal keys from a snapshot by id", () => {
    const base = { parents: [], note: "", tags: [], author: 1, deleted: false, meta: {}, field_seq: {} };
    const s = new TreeState("problem", [
      { ...base, id: "b", type: "problem", parent: null, key: "a0", text: "b" },
      { ...base, id: "B", type: "problem", parent: null, key: "a0", text: "B" },
    ]);
    expect(s.liveChildren(null).map((n) => n.id)).toEqual(["B", "b"]);
  });

  it("appends a create without key after the last sibling", () => {
    const s = game();
    s.apply({ kind: "create", id: "c2", type: "critique", parent: "p" });
    expect(s.liveChildren("p").map((n) => n.id)).toEqual(["c", "c2"]);
  });

  it("enforces the game grammar", () => {
    const s = game();
    expect(code(() => s.apply({ kind: "create", id: "q", type: "critique", parent: null }))).toBe("bad_parent_type");
    expect(code(() => s.apply({ kind: "create", id: "q", type: "patch", parent: "p" }))).toBe("bad_parent_type");
    expect(code(() => s.apply({ kind: "create", id: "q", type: "critique", parent: "x" }))).toBe("ok");
    // Not a type of game trees at all: malformed, as the server says (tests/vectors/ops.json).
    expect(code(() => s.apply({ kind: "create", id: "q2", type: "problem", parent: null }))).toBe("invalid");
  });

  it("checks a move with a type change against the node's children", () => {
    const s = game();
    s.apply({ kind: "create", id: "p2", type: "proposal", parent: null, key: "a1" });
    // critique c (with patch child) under p2: fine, type unchanged
    expect(code(() => s.apply({ kind: "move", id: "c", parent: "p2" }))).toBe("ok");
    // proposal p2 -> under patch x as critique: its child c is a critique: not allowed under a critique
    s.apply({ kind: "create", id: "p3", type: "proposal", parent: null, key: "a2" });
    s.apply({ kind: "create", id: "p4", type: "proposal", parent: null, key: "a3" });
    s.apply({ kind: "create", id: "c4", type: "critique", parent: "p4" });
    expect(code(() => s.apply({ kind: "move", id: "p4", parent: "x", type: "critique" }))).toBe("bad_parent_type");
    expect(code(() => s.apply({ kind: "move", id: "p3", parent: "x", type: "critique" }))).toBe("ok");
    expect(s.get("p3")!.type).toBe("critique");
  });

  it("rejects cycles, unknown nodes and edits of deleted nodes", () => {
    const s = game();
    expect(code(() => s.apply({ kind: "move", id: "c", parent: "x", type: "critique" }))).toBe("cycle");
    expect(code(() => s.apply({ kind: "set", id: "nope", field: "text", value: "" }))).toBe("not_found");
    expect(code(() => s.apply({ kind: "create", id: "p", type: "proposal", parent: null }))).toBe("conflict");
    s.apply({ kind: "delete", id: "c" });
    expect(code(() => s.apply({ kind: "set", id: "x", field: "text", value: "y" }))).toBe("deleted");
    expect(code(() => s.apply({ kind: "create", id: "n", type: "patch", parent: "c" }))).toBe("deleted");
    expect(code(() => s.apply({ kind: "restore", id: "x" }))).toBe("deleted");
    expect(code(() => s.apply({ kind: "restore", id: "p" }))).toBe("invalid");
  });

  it("enforces limits", () => {
    const s = game();
    expect(code(() => s.apply({ kind: "set", id: "p", field: "text", value: "x".repeat(2001) }))).toBe("too_large");
    expect(code(() => s.apply({ kind: "set", id: "p", field: "tags", value: Array.from({ length: 21 }, (_, i) => `t${i}`) }))).toBe("too_large");
    // Spellings of one tag collapse (as on the server); a tag with nothing left is refused.
    expect(code(() => s.apply({ kind: "set", id: "p", field: "tags", value: ["#"] }))).toBe("invalid");
    expect(code(() => s.apply({ kind: "move", id: "p", parent: null, key: "a0!" }))).toBe("invalid");
  });

  it("restores exactly the nodes a delete took", () => {
    const s = game();
    s.apply({ kind: "delete", id: "x" }, 4); // patch deleted on its own first
    s.apply({ kind: "delete", id: "p" }, 5); // then the whole proposal
    expect(outline(s)).toEqual([]);
    s.apply({ kind: "restore", id: "p" }, 6);
    expect(outline(s)).toEqual(["proposal:P[]", "  critique:C[]"]);
    s.apply({ kind: "restore", id: "x" }, 7);
    expect(outline(s)).toEqual(["proposal:P[]", "  critique:C[]", "    patch:X[]"]);
  });

  it("keeps provenance meta from a create and replaces it with a set meta", () => {
    const s = new TreeState("problem");
    s.apply({ kind: "create", id: "a", type: "problem", parent: null, meta: { sources: [1] } }, 1);
    expect(s.get("a")!.meta).toEqual({ sources: [1] });
    expect(s.get("a")!.field_seq.text).toBe(0);
    s.apply({ kind: "set", id: "a", field: "meta", value: { sources: [1, 2] } }, 2);
    expect(s.get("a")!.meta).toEqual({ sources: [1, 2] });
    expect(code(() => s.apply({ kind: "set", id: "a", field: "meta", value: "x" }))).toBe("invalid");
  });

  it("links extra parents in problem trees and rejects link cycles", () => {
    const s = new TreeState("problem");
    const mk = (id: string, parent: string | null): Op => ({ kind: "create", id, type: "problem", parent });
    s.apply(mk("a", null));
    s.apply(mk("b", null));
    s.apply(mk("c", "a"));
    s.apply({ kind: "link", id: "c", parent: "b" });
    expect(s.get("c")!.parents).toEqual(["b"]);
    expect(s.linkedChildren("b").map((n) => n.id)).toEqual(["c"]);
    expect(code(() => s.apply({ kind: "link", id: "b", parent: "c" }))).toBe("cycle");
    expect(code(() => s.apply({ kind: "move", id: "b", parent: "c" }))).toBe("cycle");
    s.apply({ kind: "unlink", id: "c", parent: "b" });
    expect(s.get("c")!.parents).toEqual([]);
    expect(code(() => game().apply({ kind: "link", id: "c", parent: "x" }))).toBe("invalid");
  });

  it("copies one field group from another state", () => {
    const a = game();
    const b = a.clone();
    a.apply({ kind: "move", id: "c", parent: "p", key: "Zz" }, 4);
    a.apply({ kind: "set", id: "c", field: "text", value: "new" }, 5);
    expect(b.copyGroup(a, "c", "text")).toBe(true);
    expect(b.get("c")!.text).toBe("new");
    expect(b.get("c")!.key).toBe("a0");
    expect(b.copyGroup(a, "c", "position")).toBe(true);
    expect(b.copyGroup(a, "c", "position")).toBe(false);
    expect(b.get("c")!.key).toBe("Zz");
  });
});
