import { describe, expect, it } from "vitest";
import { compacted, snapshotOf, tickAndFlush, twoOnOneNode, typist } from "./compacting";
import { type FakeClient, type FakeServer, flushAll } from "./fakeserver";

/** Random typing that keeps a node under 600 characters. */
const typing = (seed: number) => typist(seed, 600, "abcdefgh ");

/** A run of `n` characters that occurs twice in `s` (random typing never repeats one). */
function repeatedRun(s: string, n: number): string | null {
  const seen = new Set<string>();
  for (let i = 0; i + n <= s.length; i++) {
    const run = s.slice(i, i + n);
    if (seen.has(run)) return run;
    seen.add(run);
  }
  return null;
}

/** B edits "p" offline with `edit` while A types it past a compaction (seed `seed`). */
function offlineWhileCompacted(text: string, seed: number, edit: (text: string) => string) {
  const { server, a, b } = twoOnOneNode(text, 1500);
  b.disconnect();
  b.engine.editText("p", edit(b.engine.view!.get("p")!.text));
  const typeA = typing(seed);
  for (let round = 0; round < 40; round++) {
    typeA(a, "p", 20);
    a.flush();
  }
  expect(compacted(server)).toBe(true);
  return { server, a, b };
}

/** B comes back and its re-sends settle: the server and both pages hold one text, with B's
 * offline `typed` in it, and nothing of B's was refused. */
function backOnline(server: FakeServer, a: FakeClient, b: FakeClient, typed: string) {
  b.connect();
  tickAndFlush(4, [b], a, b);
  const text = server.state.get("p")!.text;
  expect(text).toContain(typed);
  expect(a.engine.view!.get("p")!.text).toBe(text);
  expect(b.engine.view!.get("p")!.text).toBe(text);
  expect(b.events.filter((e) => e.kind === "reject")).toEqual([]);
}

describe("text compaction", () => {
  it("keeps both people's typing through compactions, with updates in flight refused and re-sent", () => {
    const { server, a, b } = twoOnOneNode("start", 2000);
    const typeA = typing(1);
    const typeB = typing(2);
    let compactions = 0;
    for (let round = 0; round < 80; round++) {
      typeA(a, "p", 20);
      typeB(b, "p", 20);
      // Deliver unevenly: one side's updates reach the server while the other's are in flight.
      if (round % 3 === 0) a.flush();
      else if (round % 3 === 1) b.flush();
      else flushAll(a, b);
      compactions = server.log.filter((o) => (o.op.kind === "text" || o.op.kind === "set") && o.op.compact).length;
    }
    flushAll(a, b);
    a.engine.editText("p", a.engine.view!.get("p")!.text + " ALPHA");
    b.engine.editText("p", b.engine.view!.get("p")!.text + " BRAVO");
    tickAndFlush(5, [a, b], a, b);
    const text = server.state.get("p")!.text;
    expect(compactions).toBeGreaterThan(2);
    expect(a.engine.view!.get("p")!.text).toBe(text);
    expect(b.engine.view!.get("p")!.text).toBe(text);
    expect(text).toContain("ALPHA");
    expect(text).toContain("BRAVO");
    // Nobody's typing was dropped: no refusal reached either person.
    expect(a.events.filter((e) => e.kind === "reject")).toEqual([]);
    expect(b.events.filter((e) => e.kind === "reject")).toEqual([]);
    expect(server.state.textState("p")!.length * 0.75).toBeLessThan(2000 + 4000);
    // Re-applied typing is the person's own edits, not a re-inserted span: nothing doubled.
    expect(repeatedRun(text, 24)).toBeNull();
  }, 60_000);

  it("keeps typing made offline in a node that was compacted meanwhile", () => {
    const { server, a, b } = offlineWhileCompacted("start", 5, (t) => "OFFLINE " + t);
    backOnline(server, a, b, "OFFLINE ");
  }, 60_000);

  it("keeps offline typing when the tree comes back as a snapshot of a compacted node", () => {
    const { server, a, b } = offlineWhileCompacted("start here", 9, () => "start OFFLINE here");
    // Too far behind for a catch-up (or a resync): the whole tree comes as a snapshot.
    b.engine.receive(snapshotOf(server));
    expect(b.engine.view!.get("p")!.text).toContain("OFFLINE");
    backOnline(server, a, b, "OFFLINE");
  }, 60_000);
});
