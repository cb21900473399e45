// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import type { HistoryEntry } from "../src/api";
import { runText, typingRuns } from "../src/ui/history";

const alice = { id: 1, username: "alice" };
const names: Record<string, string> = { n1: "Use debate", n2: "Judges can be fooled" };
const nodeText = (id: string) => names[id];

function entry(seq: number, op: HistoryEntry["op"]): HistoryEntry {
  return { seq, op, actor: alice, at: "2026-12-07T02:00:00Z" } as HistoryEntry;
}

function text(op: HistoryEntry["op"]): string {
  return runText(typingRuns([entry(1, op)])[0], nodeText);
}

describe("the Versions list", () => {
  it("names the node each change touched (it said 'moved it', not which)", () => {
    expect(text({ kind: "move", id: "n2", parent: "n1", key: "a0" } as HistoryEntry["op"])).toBe("moved “Judges can be fooled”");
    expect(text({ kind: "move", id: "n2", parent: null, key: "a0", type: "proposal" } as HistoryEntry["op"])).toBe(
      "moved “Judges can be fooled” and made it a proposal",
    );
    expect(text({ kind: "delete", id: "n1" } as HistoryEntry["op"])).toBe("deleted “Use debate”");
    expect(text({ kind: "set", id: "n2", field: "tags", value: ["deception"] } as HistoryEntry["op"])).toBe(
      "set the tags to #deception in “Judges can be fooled”",
    );
    expect(text({ kind: "text", id: "n1" } as unknown as HistoryEntry["op"])).toBe("typed in “Use debate”");
  });

  it("keeps the plain words for a node no longer in the tree, and a create's own text", () => {
    expect(text({ kind: "delete", id: "gone" } as HistoryEntry["op"])).toBe("deleted it");
    expect(text({ kind: "create", id: "n1", type: "proposal", parent: null, text: "Use debate" } as HistoryEntry["op"])).toBe(
      "created it: “Use debate”",
    );
  });
});
