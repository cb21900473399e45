import { describe, expect, it } from "vitest";
import { parsePastedOutline } from "../src/core/paste";

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
