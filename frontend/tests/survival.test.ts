import { describe, expect, it } from "vitest";
import { TreeState } from "../src/core/state";
import { shortLine, survival, SurvivalTracker, type SurvivalInput } from "../src/core/survival";

/** A compact game tree: [id, type, parent, text]. Keys follow the order given. */
function nodes(rows: [string, string, string | null, string][], deleted: string[] = []): SurvivalInput[] {
  return rows.map(([id, type, parent, text], i) => ({
    id,
    type,
    parent,
    text,
    key: `a${i}`,
    deleted: deleted.includes(id),
  }));
}

function labels(rows: SurvivalInput[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, s] of survival(rows)) out[id] = `${s.status} | ${s.reason}`;
  return out;
}

// Every expected label below was checked against trees/analysis/survival.py (the server's
// rules) on the same nodes.
describe("survival mirrors the server's grounded labelling", () => {
  it("a proposal with no critiques survives", () => {
    expect(labels(nodes([["p", "proposal", null, "Imitate a careful human"]]))).toEqual({
      p: "survives | no critiques",
    });
  });

  it("an unanswered critique breaks its proposal", () => {
    expect(
      labels(
        nodes([
          ["p", "proposal", null, "Reward modelling"],
          ["c", "critique", "p", "Reward hacking"],
        ]),
      ),
    ).toEqual({
      p: "broken | broken by: Reward hacking",
      c: "survives | unanswered critique",
    });
  });

  it("a surviving patch answers the critique, so the proposal survives", () => {
    expect(
      labels(
        nodes([
          ["p", "proposal", null, "Reward modelling"],
          ["c", "critique", "p", "Reward hacking"],
          ["x", "patch", "c", "Adversarial training of the reward model"],
        ]),
      ),
    ).toEqual({
      p: "survives | its critique is answered: Reward hacking",
      c: "broken | answered by: Adversarial training of the reward model",
      x: "survives | no critiques of this patch",
    });
  });

  it("a patch broken by a critique of its own no longer answers anything", () => {
    expect(
      labels(
        nodes([
          ["p", "proposal", null, "P"],
          ["c", "critique", "p", "C"],
          ["x", "patch", "c", "X"],
          ["d", "critique", "x", "D"],
        ]),
      ),
    ).toEqual({
      p: "broken | broken by: C",
      c: "survives | its patch is broken: X",
      x: "broken | broken by: D",
      d: "survives | unanswered critique",
    });
  });

  it("every critique must be answered; any one surviving patch answers a critique", () => {
    expect(
      labels(
        nodes([
          ["p", "proposal", null, "P"],
          ["c1", "critique", "p", "C1"],
          ["c2", "critique", "p", "C2"],
          ["x1", "patch", "c1", "X1"],
          ["x2", "patch", "c2", "X2"],
          ["x3", "patch", "c2", "X3"],
          ["d", "critique", "x2", "D"],
          ["q", "proposal", null, "Q"],
          ["e1", "critique", "q", "E1"],
          ["e2", "critique", "q", "E2"],
          ["y", "patch", "e1", "Y"],
        ]),
      ),
    ).toEqual({
      p: "survives | all 2 critiques answered",
      c1: "broken | answered by: X1",
      c2: "broken | answered by: X3",
      x1: "survives | no critiques of this patch",
      x2: "broken | broken by: D",
      x3: "survives | no critiques of this patch",
      d: "survives | unanswered critique",
      q: "broken | broken by: E2",
      e1: "broken | answered by: Y",
      e2: "survives | unanswered critique",
      y: "survives | no critiques of this patch",
    });
  });

  it("a critique whose patches are all broken stands", () => {
    const r = labels(
      nodes([
        ["p", "proposal", null, "P"],
        ["c", "critique", "p", "C"],
        ["x1", "patch", "c", "X1"],
        ["x2", "patch", "c", "X2"],
        ["d1", "critique", "x1", "D1"],
        ["d2", "critique", "x2", "D2"],
      ]),
    );
    expect(r.c).toBe("survives | all 2 patches are broken");
    expect(r.p).toBe("broken | broken by: C");
  });

  it("deleted nodes do not attack (and are not labelled)", () => {
    const r = labels(
      nodes(
        [
          ["p", "proposal", null, "P"],
          ["c", "critique", "p", "C"],
        ],
        ["c"],
      ),
    );
    expect(r).toEqual({ p: "survives | no critiques" });
  });

  it("names the first surviving attacker in sibling order and lists them all in `by`", () => {
    const s = survival(
      nodes([
        ["p", "proposal", null, "P"],
        ["c1", "critique", "p", "First"],
        ["c2", "critique", "p", "Second"],
      ]),
    ).get("p")!;
    expect(s.reason).toBe("broken by: First");
    expect([...s.by].sort()).toEqual(["c1", "c2"]);
  });

  it("attack cycles (only possible with cross-links) are contested", () => {
    const r = survival([
      { id: "a", type: "critique", parent: "b", text: "A" },
      { id: "b", type: "patch", parent: "a", text: "B" },
      { id: "p", type: "proposal", parent: null, parents: [], text: "P" },
    ]);
    expect(r.get("a")!.status).toBe("contested");
    expect(r.get("a")!.reason).toBe("contested: circular attacks via: B");
    expect(r.get("p")!.status).toBe("survives");
  });

  it("cuts reasons to one line of 80 characters like the server", () => {
    expect(shortLine("  first line\nsecond  ")).toBe("first line");
    const long = "x".repeat(79) + " " + "y".repeat(10);
    expect(shortLine(long)).toBe("x".repeat(79) + "…");
    expect(Array.from(shortLine("é".repeat(100))).length).toBe(80);
    expect(shortLine("")).toBe("");
  });
});

function bigTree(size: number): TreeState {
  // proposals -> critiques -> patches -> critiques ..., about `size` nodes
  const s = new TreeState("game");
  let seq = 0;
  const ids: { id: string; type: string }[] = [];
  let made = 0;
  while (made < size) {
    const id = `n${made}`;
    let parent: { id: string; type: string } | null = null;
    if (ids.length && made % 25 !== 0) parent = ids[(made * 7919) % ids.length];
    const type = parent === null ? "proposal" : parent.type === "critique" ? "patch" : "critique";
    s.apply({ kind: "create", id, type: type as "proposal", parent: parent?.id ?? null, text: `node ${made}` }, ++seq);
    ids.push({ id, type });
    made++;
  }
  return s;
}

describe("SurvivalTracker", () => {
  it("reports only the nodes whose label or reason changed", () => {
    const s = new TreeState("game");
    s.apply({ kind: "create", id: "p", type: "proposal", parent: null, text: "P" }, 1);
    s.apply({ kind: "create", id: "q", type: "proposal", parent: null, text: "Q" }, 2);
    const t = new SurvivalTracker();
    expect(t.update(s).sort()).toEqual(["p", "q"]);
    s.apply({ kind: "create", id: "c", type: "critique", parent: "p", text: "C" }, 3);
    expect(t.update(s).sort()).toEqual(["c", "p"]);
    expect(t.get("p")!.status).toBe("broken");
    s.apply({ kind: "set", id: "c", field: "text", value: "C2" }, 4);
    expect(t.update(s)).toEqual(["p"]);
    expect(t.get("p")!.reason).toBe("broken by: C2");
    s.apply({ kind: "delete", id: "c" }, 5);
    expect(t.update(s).sort()).toEqual(["c", "p"]);
    expect(t.get("p")!.status).toBe("survives");
    expect(t.proposalCounts(s)).toEqual({ survives: 2, broken: 0, contested: 0 });
  });

  it("problem trees get no labels", () => {
    const s = new TreeState("problem");
    s.apply({ kind: "create", id: "a", type: "problem", parent: null, text: "A" }, 1);
    const t = new SurvivalTracker();
    expect(t.update(s)).toEqual([]);
  });

  it("keeps a 5,000-node tree's labels equal to a fresh labelling and reports exactly the rows that changed", () => {
    // How fast this runs is the benchmark's question; the test checks what the UI relies on.
    const s = bigTree(5000);
    const t = new SurvivalTracker();
    expect(t.update(s).length).toBe(5000);
    let seq = 10000;
    const edits = (i: number) =>
      i % 3 === 2
        ? { kind: "create" as const, id: `new${i}`, type: "critique" as const, parent: `n${(i * 25) % 5000}`, text: `new ${i}` }
        : { kind: "set" as const, id: `n${(i * 37) % 5000}`, field: "text" as const, value: `edit ${i}` };
    let statusChanges = 0;
    for (let i = 0; i < 15; i++) {
      const before = new Map(t.all);
      s.apply(edits(i), ++seq);
      const changed = t.update(s);
      const fresh = survival(s.nodes.values());
      const differs = [...fresh.keys()].filter((id) => {
        const old = before.get(id);
        const now = fresh.get(id)!;
        if (old && old.status !== now.status) statusChanges++;
        return !old || old.status !== now.status || old.reason !== now.reason;
      });
      expect(changed.sort()).toEqual(differs.sort());
      expect(new Map(t.all)).toEqual(fresh);
    }
    expect(t.all.size).toBe(5000 + 5);
    expect(statusChanges).toBeGreaterThan(0); // the new critiques broke something
    // A generous limit: vitest's 5 s default failed on a loaded 2-core machine while the
    // code was unchanged, and timing is the benchmark's business, not this test's.
  }, 60_000);
});
