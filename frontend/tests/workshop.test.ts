import { describe, expect, it } from "vitest";
import { expiryFor, linkState } from "../src/ui/workshop/sharelinks";
import { clock } from "../src/ui/workshop/util";
import { clockOffset, currentExercise, remainingMs, roundLabel, runningRound, sortTrees, treeLabel } from "../src/ui/workshop/state";
import { spacedCode, type ExTree, type Exercise, type Participant, type Round } from "../src/ui/workshop/wsapi";

describe("workshop helpers", () => {
  it("splits a six-letter code in two halves to read aloud", () => {
    expect(spacedCode("ABCDEF")).toBe("ABC DEF");
    expect(spacedCode("ABCD")).toBe("ABCD");
  });

  it("gives a share link's expiry from the chosen preset or date", () => {
    const now = Date.parse("2026-12-07T02:00:00Z");
    expect(expiryFor("never", "", now)).toBeNull();
    expect(expiryFor("1h", "", now)).toBe("2026-12-07T03:00:00.000Z");
    expect(expiryFor("7d", "", now)).toBe("2026-12-14T02:00:00.000Z");
    expect(expiryFor("date", "", now)).toBeNull();
    expect(expiryFor("date", "2026-12-24T10:00Z", now)).toBe("2026-12-24T10:00:00.000Z");
  });

  it("tells an active link from a revoked or expired one", () => {
    const now = Date.parse("2026-12-07T02:00:00Z");
    const base = { id: 1, token: "t", role: "editor" as const, created_at: "", expires_at: null, revoked_at: null };
    expect(linkState(base, now)).toBe("active");
    expect(linkState({ ...base, revoked_at: "2026-12-07T01:00:00Z" }, now)).toBe("revoked");
    expect(linkState({ ...base, expires_at: "2026-12-07T01:59:59Z" }, now)).toBe("expired");
    expect(linkState({ ...base, expires_at: "2026-12-07T02:00:01Z" }, now)).toBe("active");
  });

  it("shows the time left as mm:ss, rounding up, never below zero", () => {
    expect(clock(900_000)).toBe("15:00");
    expect(clock(61_001)).toBe("01:02");
    expect(clock(-5)).toBe("00:00");
    expect(clock(3_725_000)).toBe("1:02:05");
  });
});


function round(id: number, number: number, over: Partial<Round> = {}): Round {
  return {
    id,
    exercise: 1,
    number,
    mode: "individual",
    blind: true,
    duration_seconds: 600,
    state: "pending",
    started_at: null,
    ends_at: null,
    ended_at: null,
    merges: [],
    ...over,
  };
}

function exercise(id: number, rounds: Round[], trees: ExTree[] = []): Exercise {
  return { id, kind: "problem_tree", title: `E${id}`, phase: "", position: id, created_at: "", rounds, trees };
}

function tree(id: number, kind: ExTree["kind"], participant: number | null, roundId: number | null): ExTree {
  return { id, tree: 100 + id, title: "", kind, exercise: 1, round: roundId, group: 1, participant, role: "editor" };
}

describe("workshop rounds", () => {
  it("counts down from the server's ends_at whatever this device's clock says", () => {
    // The device is 90 s behind the server.
    const local = Date.parse("2026-12-07T02:00:00Z");
    const offset = clockOffset("2026-12-07T02:01:30Z", local);
    expect(offset).toBe(90_000);
    expect(remainingMs("2026-12-07T02:11:30Z", offset, local)).toBe(600_000);
    expect(remainingMs("2026-12-07T02:01:00Z", offset, local)).toBeLessThan(0);
    expect(clockOffset("not a time", local)).toBe(0);
  });

  it("finds the running round, else the exercise whose round started last", () => {
    const a = exercise(1, [round(1, 1, { state: "ended", started_at: "2026-12-07T01:00:00Z" })]);
    const b = exercise(2, [round(2, 1, { state: "ended", started_at: "2026-12-07T01:30:00Z" }), round(3, 2)]);
    const c = exercise(3, [round(4, 1)]);
    expect(runningRound([a, b, c])).toBeNull();
    expect(currentExercise([a, b, c])).toBe(b);
    expect(currentExercise([c])).toBeNull();
    b.rounds[1].state = "running";
    expect(runningRound([a, b, c])?.round.id).toBe(3);
    expect(currentExercise([a, b, c])).toBe(b);
  });

  it("names rounds and trees the way a participant reads them", () => {
    const e = exercise(1, [round(1, 1), round(2, 2, { blind: false })]);
    expect(roundLabel(e, e.rounds[0])).toBe("Round 1 of 2 · each alone · blind");
    expect(roundLabel(e, e.rounds[1])).toBe("Round 2 of 2 · each alone");
    const people = new Map<number, Participant>([[7, { id: 7, user: 70, display_name: "Dana", role: "participant", joined_at: "" }]]);
    expect(treeLabel(tree(1, "individual", 5, 1), 5, people, e)).toBe("Your tree (round 1)");
    expect(treeLabel(tree(2, "individual", 7, 2), 5, people, e)).toBe("Dana's tree (round 2)");
    expect(treeLabel(tree(3, "merged", null, 1), 5, people, e)).toBe("Merged group tree (round 1)");
    expect(treeLabel(tree(4, "group", null, null), 5, people)).toBe("Group tree");
  });

  it("lists the latest round's trees first, mine before the others'", () => {
    const e = exercise(1, [round(1, 1), round(2, 2)]);
    const ts = [tree(1, "merged", null, 1), tree(2, "individual", 7, 2), tree(3, "individual", 5, 2), tree(4, "individual", 5, 1)];
    expect(sortTrees(ts, 5, e).map((t) => t.id)).toEqual([3, 2, 1, 4]);
  });
});
