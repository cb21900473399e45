import { describe, expect, it } from "vitest";
import { MAX_PASTED_LINES, noteWithPaste, parsePastedOutline, planPaste } from "../src/core/paste";

describe("pasted text is read as an outline", () => {
  it("a bullet list from a document keeps its nesting, without its bullets", () => {
    const text = "- Debate\n  - Judges can be fooled\n    - Train the judges\n- Amplification\n";
    expect(parsePastedOutline(text)).toEqual([
      { text: "Debate", depth: 0 },
      { text: "Judges can be fooled", depth: 1 },
      { text: "Train the judges", depth: 2 },
      { text: "Amplification", depth: 0 },
    ]);
  });

  it("tabs, numbers and blank lines are read as a person means them", () => {
    const text = "1. Reward hacking\r\n\r\n\t2) Goodhart\n\t\t• Proxies\n3. Deception";
    expect(parsePastedOutline(text).map((l) => [l.text, l.depth])).toEqual([
      ["Reward hacking", 0],
      ["Goodhart", 1],
      ["Proxies", 2],
      ["Deception", 0],
    ]);
  });

  it("a line never goes more than one level deeper than the one before", () => {
    expect(parsePastedOutline("A\n        B\n  C").map((l) => l.depth)).toEqual([0, 1, 1]);
  });

  it("plain lines with no indentation are siblings, and a first indented line sets level 0", () => {
    expect(parsePastedOutline("  One\n  Two\nThree").map((l) => l.depth)).toEqual([0, 0, 0]);
  });

  it("a line that is only a bullet is dropped, and a word like 'a.' alone is kept as text", () => {
    expect(parsePastedOutline("- \nA.I. risk\n-   Race")).toEqual([
      { text: "A.I. risk", depth: 0 },
      { text: "Race", depth: 0 },
    ]);
  });
});

describe("a paste that would not fit is refused whole, never cut short", () => {
  it("one line that fits is typed in, on one line", () => {
    expect(planPaste("Deb", "ate", " with judges\n", "")).toEqual({ kind: "inline", text: " with judges " });
  });

  it("60,000 characters into a node are refused whole: too long for the note too", () => {
    const plan = planPaste("", "", "X".repeat(60000), "");
    expect(plan.kind).toBe("refused");
    if (plan.kind !== "refused") return;
    expect(plan.message).toContain("60,000 characters; a node's text takes at most 2,000.");
    expect(plan.message).toContain("Nothing was pasted (it is too long for the note too: at most 20,000 characters).");
    expect(plan.note).toBeNull();
  });

  it("a long paragraph is refused from the text and offered to the note, after what it holds", () => {
    const plan = planPaste("Deb", "ate", "A".repeat(1998), "Sources:");
    expect(plan.kind).toBe("refused");
    if (plan.kind !== "refused") return;
    expect(plan.message).toContain("1,998 characters; a node's text takes at most 2,000 (this one has 6 already).");
    expect(plan.message).toContain("Nothing was pasted; it can go into the note instead.");
    expect(plan.note).toBe(`Sources:\n\n${"A".repeat(1998)}`);
  });

  it("exactly the limit fits, counted in characters, not UTF-16 units", () => {
    expect(planPaste("", "", "😀".repeat(2000), "").kind).toBe("inline");
    expect(planPaste("x", "", "😀".repeat(2000), "").kind).toBe("refused");
  });

  it("an outline of up to 200 lines becomes nodes; 201 lines are refused whole, pointing to Import", () => {
    const lines = (n: number) => Array.from({ length: n }, (_, i) => `- line ${i}`).join("\n");
    const ok = planPaste("", "", lines(MAX_PASTED_LINES), "");
    expect(ok.kind === "outline" && ok.lines.length).toBe(200);
    const plan = planPaste("", "", lines(300), "");
    expect(plan.kind).toBe("refused");
    if (plan.kind !== "refused") return;
    expect(plan.message).toMatch(/^That paste has 300 lines; a paste makes at most 200 nodes /);
    expect(plan.message).toContain("Import… on the tree list");
    expect(plan.note).toBe(lines(300));
  });

  it("an outline with a line over the limit is refused whole, naming the line", () => {
    const plan = planPaste("", "", `- short\n- ${"Y".repeat(2001)}\n- last`, "");
    expect(plan.kind === "refused" && plan.message).toMatch(/^Line 2 of the paste is 2,001 characters/);
    const first = planPaste("T".repeat(1990), "", `- ${"Z".repeat(20)}\n- next`, "");
    expect(first.kind === "refused" && first.message).toMatch(/^Its first line would make this node's text 2,010 characters/);
  });

  it("the note offer is withdrawn when the note would pass its limit", () => {
    const plan = planPaste("", "", "W".repeat(3000), "N".repeat(18000));
    expect(plan.kind === "refused" && plan.note).toBeNull();
    expect(noteWithPaste("", "  pasted\r\n")).toBe("pasted");
  });
});
