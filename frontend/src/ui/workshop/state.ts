/** DOM-free workshop logic: which round is on, the countdown, how to name rounds and trees. */
import type { ExTree, Exercise, Participant, Round } from "./wsapi";

/** The server's clock minus ours, from a `server_time` read at local time `receivedAt`. */
export function clockOffset(serverTime: string, receivedAt: number): number {
  const t = Date.parse(serverTime);
  return Number.isFinite(t) ? t - receivedAt : 0;
}

/** Milliseconds left in a round ending at `endsAt` (server time), seen at local `now`. */
export function remainingMs(endsAt: string, offsetMs: number, now: number): number {
  return Date.parse(endsAt) - (now + offsetMs);
}

/** The running round of the workshop (at most one runs at a time), with its exercise. */
export function runningRound(exercises: Exercise[]): { exercise: Exercise; round: Round } | null {
  for (const exercise of exercises)
    for (const round of exercise.rounds) if (round.state === "running") return { exercise, round };
  return null;
}

/**
 * The exercise a participant works on now: the one with a running round; else the one whose
 * round started last (its trees and merges stay useful after the round); else none yet.
 */
export function currentExercise(exercises: Exercise[]): Exercise | null {
  const running = runningRound(exercises);
  if (running) return running.exercise;
  let best: Exercise | null = null;
  let bestAt = "";
  for (const e of exercises)
    for (const r of e.rounds)
      if (r.started_at && r.started_at > bestAt) {
        bestAt = r.started_at;
        best = e;
      }
  return best;
}

export function kindLabel(e: Pick<Exercise, "kind" | "phase">): string {
  const k = e.kind === "game_tree" ? "Game tree" : "Problem tree";
  return e.phase ? `${k} (${e.phase})` : k;
}

/** "Round 1 of 2 · each alone · blind" */
export function roundLabel(e: Exercise, r: Round): string {
  const parts = [e.rounds.length > 1 ? `Round ${r.number} of ${e.rounds.length}` : "Round"];
  parts.push(r.mode === "individual" ? "each alone" : "as a group");
  if (r.blind) parts.push("blind");
  return parts.join(" · ");
}

/** A tree's name as its reader sees it: "Your tree", "Dana's tree", "Group tree", "Merged tree". */
export function treeLabel(t: ExTree, myParticipant: number | null, people: Map<number, Participant>, e?: Exercise): string {
  const round = e && t.round !== null ? e.rounds.find((r) => r.id === t.round) : undefined;
  const suffix = round && e && e.rounds.length > 1 ? ` (round ${round.number})` : "";
  if (t.kind === "merged") return `Merged group tree${suffix}`;
  if (t.kind === "group") return "Group tree";
  if (t.participant !== null && t.participant === myParticipant) return `Your tree${suffix}`;
  const who = t.participant !== null ? people.get(t.participant)?.display_name : undefined;
  return `${who ?? "Someone"}'s tree${suffix}`;
}

/**
 * The trees worth showing first: in the current round, mine (or my group's) then the others;
 * merged trees of earlier rounds after. Stable otherwise.
 */
export function sortTrees(trees: ExTree[], myParticipant: number | null, e: Exercise): ExTree[] {
  const roundNo = (t: ExTree) => e.rounds.find((r) => r.id === t.round)?.number ?? 0;
  const mine = (t: ExTree) => (t.participant === myParticipant || t.kind !== "individual" ? 0 : 1);
  return [...trees].sort((a, b) => roundNo(b) - roundNo(a) || mine(a) - mine(b) || a.id - b.id);
}

export function mergeStatusText(status: string): string {
  switch (status) {
    case "waiting":
      return "waiting to merge";
    case "running":
      return "merging…";
    case "done":
      return "merged";
    case "failed":
      return "merge failed";
    case "single":
      return "one tree only: copied";
    case "empty":
      return "no trees to merge";
    default:
      return status;
  }
}

/**
 * What the tree page's workshop strip says after the workshop's title: the round of this
 * tree's exercise running now and its time left ("Round 2", "12:34 left"); the workshop's
 * running round of another exercise, named by that exercise; the last round that ended; or
 * nothing before the first round. `clockText` formats the time left (util.ts's clock).
 */
export function stripParts(
  exercises: Exercise[],
  exerciseId: number | null,
  offsetMs: number,
  now: number,
  clockText: (ms: number) => string,
): { parts: string[]; running: boolean } {
  const own = exercises.find((e) => e.id === exerciseId) ?? null;
  const ownRunning = own?.rounds.find((r) => r.state === "running") ?? null;
  const found = ownRunning && own ? { exercise: own, round: ownRunning } : runningRound(exercises);
  if (found) {
    const { exercise, round } = found;
    const name = exercise === own ? `Round ${round.number}` : `${exercise.title}: round ${round.number}`;
    if (!round.ends_at) return { parts: [name], running: true };
    const left = remainingMs(round.ends_at, offsetMs, now);
    return { parts: [name, left > 0 ? `${clockText(left)} left` : "time is up"], running: true };
  }
  const ended = own ? [...own.rounds].reverse().find((r) => r.state === "ended") : undefined;
  if (ended) return { parts: [`Round ${ended.number} has ended`], running: false };
  return { parts: [], running: false };
}

/**
 * A participant's own problem trees, oldest first (exercise order, then round), named for the
 * before/after picker: "Risks (before reading)" or "Risks · round 2" when the exercise has rounds.
 */
export function ownProblemTrees(exercises: Exercise[], myParticipant: number | null): { tree: number; label: string }[] {
  const out: { tree: number; label: string; order: [number, number] }[] = [];
  for (const e of exercises) {
    if (e.kind !== "problem_tree") continue;
    for (const t of e.trees) {
      if (t.kind !== "individual" || t.participant === null || t.participant !== myParticipant) continue;
      const round = e.rounds.find((r) => r.id === t.round);
      const label = round && e.rounds.length > 1 ? `${e.title} · round ${round.number}` : e.title;
      out.push({ tree: t.tree, label, order: [e.position, round?.number ?? 0] });
    }
  }
  out.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.tree - b.tree);
  return out.map(({ tree, label }) => ({ tree, label }));
}
