// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { ago, countPhrases, projectorUrl, renderComparison, type Counts } from "../src/ui/workshop/board";

const counts: Counts = { proposals: 3, critiques: 5, patches: 1, surviving: 1, broken: 2, contested: 0, problems: 4 };

describe("ago", () => {
  it("says how long ago an edit was, in words a room reads at a glance", () => {
    const now = Date.parse("2026-12-07T02:00:00Z");
    expect(ago(null, now)).toBe("no edits yet");
    expect(ago("2026-12-07T01:59:58Z", now)).toBe("just now");
    expect(ago("2026-12-07T01:59:20Z", now)).toBe("40 s ago");
    expect(ago("2026-12-07T01:57:00Z", now)).toBe("3 min ago");
    expect(ago("2026-12-07T00:00:00Z", now)).toBe("2 h ago");
  });
});

describe("countPhrases", () => {
  it("shows game counts for game trees, problems for problem trees, both for a mixed group", () => {
    expect(countPhrases(counts, "game")).toEqual(["3 proposals", "5 critiques", "1 patch", "1 surviving", "2 broken"]);
    expect(countPhrases(counts, "problem")).toEqual(["4 problems"]);
    expect(countPhrases({ ...counts, contested: 1 }, "mixed")).toContain("1 contested");
    expect(countPhrases(counts, "mixed")).toContain("4 problems");
  });

  it("says one proposal, one patch, one problem in the singular", () => {
    const one: Counts = { proposals: 1, critiques: 1, patches: 1, surviving: 0, broken: 1, contested: 0, problems: 1 };
    expect(countPhrases(one, "game")).toEqual(["1 proposal", "1 critique", "1 patch", "0 surviving", "1 broken"]);
    expect(countPhrases(one, "problem")).toEqual(["1 problem"]);
  });
});

describe("projectorUrl", () => {
  it("keeps the key after # so that it never reaches a server log", () => {
    const url = projectorUrl(7, "a+b/c");
    expect(url).toMatch(/\/app\/workshops\/7\/projector#key=a%2Bb%2Fc$/);
  });
});

describe("renderComparison", () => {
  it("lists added, dropped and reworded problems as text, never as markup", () => {
    const el = renderComparison({
      before: { id: 1, title: "Before" },
      after: { id: 2, title: "After" },
      added: [{ node: "n", label: "<img src=x onerror=alert(1)>" }],
      dropped: [],
      reworded: [{ before: { label: "Old" }, after: { label: "New" }, score: 0.6 }],
      kept: 2,
    });
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector(".compare-added li")?.textContent).toBe("<img src=x onerror=alert(1)>");
    expect(el.querySelector(".compare-dropped")?.textContent).toContain("none");
    expect(el.querySelector(".compare-reworded li")?.textContent).toBe("Old → New");
    expect(el.textContent).toContain("2 kept");
  });
});
