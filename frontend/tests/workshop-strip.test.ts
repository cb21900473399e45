import { describe, expect, it } from "vitest";
import { ownProblemTrees, stripParts } from "../src/ui/workshop/state";
import { clock } from "../src/ui/workshop/util";
import type { ExTree, Exercise, Round } from "../src/ui/workshop/wsapi";

function round(id: number, number: number, state: Round["state"], ends_at: string | null = null): Round {
  return {
    id, exercise: 0, number, mode: "individual", blind: true, duration_seconds: 900, state,
    started_at: state === "pending" ? null : "2026-12-07T03:00:00Z", ends_at, ended_at: state === "ended" ? "2026-12-07T03:15:00Z" : null, merges: [],
  };
}

function exercise(id: number, title: string, rounds: Round[], trees: Partial<ExTree>[] = [], position = id): Exercise {
  return {
    id, kind: "problem_tree", title, phase: "", position, created_at: "2026-12-07T02:00:00Z", rounds,
    trees: trees.map((t, i) => ({ id: i + 1, tree: 0, title: "", kind: "individual", exercise: id, round: null, group: 1, participant: null, role: "owner", ...t })),
  };
}

const NOW = Date.parse("2026-12-07T03:00:00Z");

describe("stripParts", () => {
  it("counts down this exercise's running round from the server's ends_at, corrected by the clock offset", () => {
    const ex = [exercise(1, "Risks", [round(11, 1, "ended"), round(12, 2, "running", "2026-12-07T03:12:34Z")])];
    expect(stripParts(ex, 1, 0, NOW, clock)).toEqual({ parts: ["Round 2", "12:34 left"], running: true });
    // The server's clock runs 34 s ahead of ours: 34 s less is left.
    expect(stripParts(ex, 1, 34_000, NOW, clock).parts).toEqual(["Round 2", "12:00 left"]);
  });

  it("says the time is up once ends_at has passed while the round still runs", () => {
    const ex = [exercise(1, "Risks", [round(11, 1, "running", "2026-12-07T02:59:59Z")])];
    expect(stripParts(ex, 1, 0, NOW, clock).parts).toEqual(["Round 1", "time is up"]);
  });

  it("names another exercise's running round by its exercise, and the last ended round otherwise", () => {
    const ex = [
      exercise(1, "Risks", [round(11, 1, "ended")]),
      exercise(2, "Game", [round(21, 1, "running", "2026-12-07T03:01:00Z")]),
    ];
    expect(stripParts(ex, 1, 0, NOW, clock).parts).toEqual(["Game: round 1", "01:00 left"]);
    expect(stripParts([ex[0]], 1, 0, NOW, clock)).toEqual({ parts: ["Round 1 has ended"], running: false });
    expect(stripParts([exercise(1, "Risks", [round(11, 1, "pending")])], 1, 0, NOW, clock).parts).toEqual([]);
  });
});

describe("ownProblemTrees", () => {
  it("lists only my individual problem trees, oldest exercise and round first, named for the picker", () => {
    const rounds = [round(11, 1, "ended"), round(12, 2, "running")];
    const ex = [
      exercise(2, "Risks (after reading)", [round(21, 1, "pending")], [{ tree: 40, round: 21, participant: 7 }]),
      exercise(1, "Risks (before reading)", rounds, [
        { tree: 31, round: 12, participant: 7 },
        { tree: 30, round: 11, participant: 7 },
        { tree: 32, round: 11, participant: 8 },
        { tree: 33, round: 11, participant: null, kind: "merged" },
      ]),
    ];
    expect(ownProblemTrees(ex, 7)).toEqual([
      { tree: 30, label: "Risks (before reading) · round 1" },
      { tree: 31, label: "Risks (before reading) · round 2" },
      { tree: 40, label: "Risks (after reading)" },
    ]);
    expect(ownProblemTrees(ex, null)).toEqual([]);
  });
});
