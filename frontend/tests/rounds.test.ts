import { describe, expect, it } from "vitest";
import type { Member } from "../src/api";
import { problemHref } from "../src/ui/board";
import { copyNote, forkPeople, isMergedTree } from "../src/ui/fork";
import { problemOptions } from "../src/ui/problem-link";

function member(id: number, username: string, role: Member["role"], name = username): Member {
  return { user: { id, username, name }, role };
}

describe("forkPeople", () => {
  it("lists the owner, then editors, then viewers, and ticks only the people who draw", () => {
    const people = forkPeople([
      member(3, "carol", "viewer"),
      member(2, "bob", "editor"),
      member(1, "alice", "owner"),
      member(4, "ann", "editor"),
    ]);
    expect(people).toEqual([
      { username: "alice", label: "alice", name: "alice", role: "owner", checked: true },
      { username: "ann", label: "ann", name: "ann", role: "editor", checked: true },
      { username: "bob", label: "bob", name: "bob", role: "editor", checked: true },
      { username: "carol", label: "carol", name: "carol", role: "viewer", checked: false },
    ]);
  });

  it("shows people by the name they gave, with the username it forks for beside it, in name order", () => {
    const people = forkPeople([member(1, "alice", "owner"), member(2, "zed-1a2b3c", "editor", "Nora"), member(3, "bob", "editor", "Ozzy")]);
    expect(people.map((p) => [p.username, p.label])).toEqual([
      ["alice", "alice"],
      ["zed-1a2b3c", "Nora (zed-1a2b3c)"],
      ["bob", "Ozzy (bob)"],
    ]);
  });
});

describe("copyNote", () => {
  const people = forkPeople([member(1, "alice", "owner", "Alice Chen"), member(2, "zed-1a2b3c", "editor", "Nora"), member(3, "bob", "editor")]);

  it("names whose copy it is by the name the copy's title carries, not the username it was made for", () => {
    expect(copyNote("alice", people)).toBe("Alice Chen's copy");
    expect(copyNote("zed-1a2b3c", people)).toBe("Nora's copy");
  });

  it("falls back to the username for someone without a name or not among the members", () => {
    expect(copyNote("bob", people)).toBe("bob's copy");
    expect(copyNote("dora", people)).toBe("dora's copy");
  });
});

describe("isMergedTree", () => {
  it("is true when a live node carries sources and false for a plain or emptied tree", () => {
    const plain = { deleted: false, meta: {} };
    const merged = { deleted: false, meta: { sources: [{ tree: 1, node: "a", label: "A" }] } };
    expect(isMergedTree([plain, merged])).toBe(true);
    expect(isMergedTree([plain])).toBe(false);
    expect(isMergedTree([{ ...merged, deleted: true }, plain])).toBe(false);
    expect(isMergedTree([{ deleted: false, meta: { sources: [] } }])).toBe(false);
  });
});

describe("problemOptions", () => {
  const node = (id: string, parent: string | null, key: string, text: string, deleted = false) => ({ id, parent, key, text, deleted });

  it("lists live problems in outline order with their depth", () => {
    const options = problemOptions([
      node("b", "r", "a1", "Scalable oversight"),
      node("r", null, "a0", "Alignment"),
      node("g", "a", "a0", "Goodhart's law"),
      node("a", "r", "a0", "Outer alignment"),
      node("x", "r", "a2", "Deleted one", true),
      node("y", "x", "a0", "Under the deleted one", true),
    ]);
    expect(options).toEqual([
      { id: "r", label: "Alignment", depth: 0 },
      { id: "a", label: "Outer alignment", depth: 1 },
      { id: "g", label: "Goodhart's law", depth: 2 },
      { id: "b", label: "Scalable oversight", depth: 1 },
    ]);
  });

  it("keeps a node whose parent is missing at the top and shortens long labels", () => {
    const options = problemOptions([node("o", "gone", "a0", `${"x".repeat(100)}\nsecond line`), node("e", null, "a1", "")]);
    expect(options.map((o) => [o.id, o.depth])).toEqual([
      ["o", 0],
      ["e", 0],
    ]);
    expect(options[0].label).toBe(`${"x".repeat(79)}…`);
    expect(options[1].label).toBe("(empty)");
  });
});

describe("problemHref", () => {
  it("opens the problem's tree focused on the node", () => {
    expect(problemHref({ tree: 7, node: "a b" })).toBe("/app/trees/7#node=a%20b");
  });
});
