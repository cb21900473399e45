/**
 * The shared vectors (tests/vectors/*.json at the repository root) against the client's core;
 * tests/domain/test_shared_vectors.py runs the same files against the server's. Both sides
 * passing is what says the client applies ops and labels survival as the server does.
 */
import { describe, expect, it } from "vitest";
import ops from "../../tests/vectors/ops.json";
import survivalVectors from "../../tests/vectors/survival.json";
import mergeVectors from "../../tests/vectors/merge_text.json";
import { TreeState } from "../src/core/state";
import { survival, type SurvivalInput } from "../src/core/survival";
import { type Op, OpError, type TreeKind } from "../src/core/types";
import { mergeText } from "../src/core/ytext";

interface OpCase {
  name: string;
  kind: TreeKind;
  steps: { op: Op; error?: string }[];
  expect: unknown;
}

interface Row {
  id: string;
  type: string;
  text: string;
  note?: string;
  tags?: string[];
  links?: string[];
  children?: Row[];
}

/** The projection both suites compare: live nodes nested in sibling order, deleted ids. */
function outline(state: TreeState): { tree: Row[]; deleted: string[] } {
  const live = (parent: string | null): Row[] =>
    state.liveChildren(parent).map((n) => {
      const row: Row = { id: n.id, type: n.type, text: n.text };
      if (n.note) row.note = n.note;
      if (n.tags.length) row.tags = [...n.tags];
      if (n.parents.length) row.links = [...n.parents].sort();
      const kids = live(n.id);
      if (kids.length) row.children = kids;
      return row;
    });
  const deleted = [...state.nodes.values()].filter((n) => n.deleted).map((n) => n.id);
  return { tree: live(null), deleted: deleted.sort() };
}

describe("shared op vectors", () => {
  it.each((ops.cases as unknown as OpCase[]).map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const state = new TreeState(c.kind);
    let seq = 0;
    c.steps.forEach((step, i) => {
      let refused: string | undefined;
      try {
        state.apply(step.op, seq + 1);
        seq += 1;
      } catch (e) {
        if (!(e instanceof OpError)) throw e;
        refused = e.code;
      }
      expect(refused, `step ${i}`).toBe(step.error);
    });
    expect(outline(state)).toEqual(c.expect);
  });
});

interface SurvivalCase {
  name: string;
  nodes: SurvivalInput[];
  expect: Record<string, { status: string; reason: string; by: string[] }>;
}

describe("shared survival vectors", () => {
  it.each((survivalVectors.cases as unknown as SurvivalCase[]).map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const got: SurvivalCase["expect"] = {};
    for (const [id, s] of survival(c.nodes)) got[id] = { status: s.status, reason: s.reason, by: [...s.by].sort() };
    expect(got).toEqual(c.expect);
  });
});

interface MergeCase {
  name: string;
  base: string;
  mine: string;
  theirs: string;
  expect: string;
}

describe("shared text merge vectors (the server's merge_text gives the same)", () => {
  it.each((mergeVectors.cases as MergeCase[]).map((c) => [c.name, c] as const))("%s", (_name, c) => {
    expect(mergeText(c.base, c.mine, c.theirs)).toBe(c.expect);
  });
});
