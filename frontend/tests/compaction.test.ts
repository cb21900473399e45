import { describe, expect, it } from "vitest";
import { FakeClient, FakeServer, flushAll } from "./fakeserver";

/** Random single-key edits, as a person types and deletes (deterministic per seed). */
function typist(seed: number) {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  return (c: FakeClient, id: string, keys: number) => {
    for (let i = 0; i < keys; i++) {
      const s = c.engine.view!.get(id)!.text;
      const p = Math.floor(rnd() * (s.length + 1));
      const next = s.length > 600 || (s.length && rnd() < 0.45) ? s.slice(0, Math.max(0, p - 1)) + s.slice(p) : s.slice(0, p) + "abcdefgh "[Math.floor(rnd() * 9)] + s.slice(p);
      c.engine.editText(id, next);
    }
  };
}

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

describe("text compaction", () => {
  it("keeps both people's typing through compactions, with updates in flight refused and re-sent", () => {
    const server = new FakeServer("game");
    server.compactAt = 2000;
    const a = new FakeClient(server, "A", 1);
    const b = new FakeClient(server, "B", 2);
    a.connect();
    b.connect();
    flushAll(a, b);
    a.engine.submit({ kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "start" });
    flushAll(a, b);
    const typeA = typist(1);
    const typeB = typist(2);
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
    for (let i = 0; i < 5; i++) {
      a.engine.tick();
      b.engine.tick();
      flushAll(a, b);
    }
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
    const server = new FakeServer("game");
    server.compactAt = 1500;
    const a = new FakeClient(server, "A", 1);
    const b = new FakeClient(server, "B", 2);
    a.connect();
    b.connect();
    flushAll(a, b);
    a.engine.submit({ kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "start" });
    flushAll(a, b);
    b.disconnect();
    b.engine.editText("p", "OFFLINE " + b.engine.view!.get("p")!.text);
    const typeA = typist(5);
    for (let round = 0; round < 40; round++) {
      typeA(a, "p", 20);
      a.flush();
    }
    expect(server.log.some((o) => o.op.kind === "text" && o.op.compact)).toBe(true);
    b.connect();
    for (let i = 0; i < 4; i++) {
      b.engine.tick();
      flushAll(a, b);
    }
    const text = server.state.get("p")!.text;
    expect(text).toContain("OFFLINE ");
    expect(a.engine.view!.get("p")!.text).toBe(text);
    expect(b.engine.view!.get("p")!.text).toBe(text);
    expect(b.events.filter((e) => e.kind === "reject")).toEqual([]);
  }, 60_000);

  it("keeps offline typing when the tree comes back as a snapshot of a compacted node", () => {
    const server = new FakeServer("game");
    server.compactAt = 1500;
    const a = new FakeClient(server, "A", 1);
    const b = new FakeClient(server, "B", 2);
    a.connect();
    b.connect();
    flushAll(a, b);
    a.engine.submit({ kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "start here" });
    flushAll(a, b);
    b.disconnect();
    b.engine.editText("p", "start OFFLINE here");
    const typeA = typist(9);
    for (let round = 0; round < 40; round++) {
      typeA(a, "p", 20);
      a.flush();
    }
    expect(server.log.some((o) => o.op.kind === "text" && o.op.compact)).toBe(true);
    // Too far behind for a catch-up (or a resync): the whole tree comes as a snapshot.
    const nodes = [...server.state.nodes.values()].map((n) => ({ ...n, y: server.state.textState(n.id) }));
    b.engine.receive({ type: "snapshot", seq: server.seq, kind: "game", nodes });
    expect(b.engine.view!.get("p")!.text).toContain("OFFLINE");
    b.connect();
    for (let i = 0; i < 4; i++) {
      b.engine.tick();
      flushAll(a, b);
    }
    const text = server.state.get("p")!.text;
    expect(text).toContain("OFFLINE");
    expect(a.engine.view!.get("p")!.text).toBe(text);
    expect(b.engine.view!.get("p")!.text).toBe(text);
    expect(b.events.filter((e) => e.kind === "reject")).toEqual([]);
  }, 60_000);
});
