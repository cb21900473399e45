import { describe, expect, it } from "vitest";
import { RESEND_MS } from "../src/core/sync";
import type { Op } from "../src/core/types";
import { FakeClient, FakeServer, flushAll, outline, pair } from "./fakeserver";

const P: Op = { kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "P" };

describe("SyncEngine", () => {
  it("loads a snapshot and applies a local op optimistically, then confirms it", () => {
    const { a, b } = pair();
    a.engine.submit(P);
    expect(outline(a.engine.view!)).toEqual(["proposal:P[]"]);
    expect(a.engine.pending.length).toBe(1);
    flushAll(a, b);
    expect(a.engine.pending.length).toBe(0);
    expect(outline(b.engine.view!)).toEqual(["proposal:P[]"]);
    expect(a.engine.lastSeq).toBe(1);
    expect(b.engine.lastSeq).toBe(1);
  });

  it("drops ops at or below last_seq and applies in seq order", () => {
    const { server, a, b } = pair();
    a.engine.submit(P);
    flushAll(a, b);
    const first = server.log[0];
    b.engine.receive({ type: "op", ...first }); // duplicate
    expect(b.engine.view!.liveCount()).toBe(1);
    expect(b.engine.lastSeq).toBe(1);
  });

  it("asks for the missing range on a gap and converges", () => {
    const { a, b } = pair();
    a.engine.submit(P);
    a.engine.submit({ kind: "create", id: "c", type: "critique", parent: "p", text: "C" });
    a.flush();
    b.toClient.shift(); // lose the broadcast of seq 1
    b.engine.receive(b.toClient.shift()!); // seq 2 arrives
    // b must not apply seq 2 before seq 1, and must send sync {since: 0}
    expect(b.engine.view!.liveCount()).toBe(0);
    expect(b.toServer).toEqual([{ type: "sync", since: 0 }]);
    b.flush();
    expect(outline(b.engine.view!)).toEqual(["proposal:P[]", "  critique:C[]"]);
  });

  it("resends pending ops with the same n on reconnect, and the server does not apply them twice", () => {
    const { server, a, b } = pair();
    a.engine.submit(P);
    const n = a.engine.pending[0].n;
    if (a.toServer.length) a.server.handle(a, a.toServer.shift()!); // the server applies it...
    a.disconnect(); // ...but the ack and the broadcast are lost
    expect(a.engine.pending.length).toBe(1);
    a.engine.submit({ kind: "set", id: "p", field: "text", value: "offline edit" });
    expect(a.engine.view!.get("p")!.text).toBe("offline edit");
    a.connect();
    const resent = a.toServer.filter((m) => m.type === "op").map((m) => (m as { n: number }).n);
    expect(resent).toEqual([n, n + 1]);
    flushAll(a, b);
    expect(server.log.length).toBe(2);
    expect(a.engine.pending.length).toBe(0);
    expect(outline(a.engine.view!)).toEqual(["proposal:offline edit[]"]);
    expect(outline(b.engine.view!)).toEqual(["proposal:offline edit[]"]);
  });

  it("resends an unanswered op after the timeout", () => {
    const { a } = pair();
    a.engine.submit(P);
    a.toServer = []; // lost on the way
    a.clock += RESEND_MS;
    a.engine.tick();
    expect(a.toServer.map((m) => m.type)).toEqual(["op"]);
    a.flush();
    expect(a.engine.pending.length).toBe(0);
  });

  it("ignores incoming values for a field with a pending local write", () => {
    const { a, b } = pair();
    a.engine.submit(P);
    flushAll(a, b);
    b.engine.submit({ kind: "set", id: "p", field: "note", value: "from b" });
    b.flush(); // the server has b's write; a has not heard yet
    a.engine.submit({ kind: "set", id: "p", field: "note", value: "from a" });
    // a receives b's write while its own is pending: the view keeps "from a"
    const incoming = [...a.toClient];
    for (const m of incoming) a.engine.receive(m);
    a.toClient = [];
    expect(a.engine.view!.get("p")!.note).toBe("from a");
    flushAll(a, b);
    expect(a.engine.view!.get("p")!.note).toBe("from a");
    expect(b.engine.view!.get("p")!.note).toBe("from a");
  });

  it("keeps later pending edits of a node when the server confirms its creation", () => {
    const { a } = pair();
    a.engine.submit(P);
    a.engine.submit({ kind: "create", id: "p2", type: "proposal", parent: null, key: "a1" });
    a.engine.submit({ kind: "move", id: "p2", parent: "p", key: "a0", type: "critique" });
    a.engine.submit({ kind: "set", id: "p2", field: "text", value: "typed" });
    // Only the creates reach the server and come back; the move and the set are still pending.
    const [c1, c2] = a.toServer.splice(0, 2);
    a.toServer = [];
    a.server.handle(a, c1);
    a.server.handle(a, c2);
    for (const m of a.toClient.splice(0)) a.engine.receive(m);
    const n = a.engine.view!.get("p2")!;
    expect([n.parent, n.type, n.text]).toEqual(["p", "critique", "typed"]);
    expect(a.engine.pending.length).toBe(2);
  });

  it("tells the user when a concurrent edit replaced theirs", () => {
    const { a, b } = pair();
    a.engine.submit(P);
    flushAll(a, b);
    a.engine.submit({ kind: "set", id: "p", field: "note", value: "mine" });
    a.flush();
    b.engine.submit({ kind: "set", id: "p", field: "note", value: "theirs" });
    flushAll(a, b);
    const replaced = a.events.filter((e) => e.kind === "replaced");
    expect(replaced).toHaveLength(1);
    expect(replaced[0].data).toMatchObject({ id: "p", field: "note", mine: "mine", theirs: "theirs", actor: 2 });
    expect(b.events.filter((e) => e.kind === "replaced")).toHaveLength(0);
  });

  it("does not say theirs replaced mine when my later edit of the field is on its way after theirs", () => {
    const { a, b } = pair();
    a.engine.submit(P);
    flushAll(a, b);
    a.engine.submit({ kind: "set", id: "p", field: "tags", value: ["x"] });
    flushAll(a, b);
    // Both tag at once; b's reaches the server first, a hears of it before its own is acked.
    a.engine.submit({ kind: "set", id: "p", field: "tags", value: ["x", "mine"] });
    b.engine.submit({ kind: "set", id: "p", field: "tags", value: ["x", "theirs"] });
    b.flush();
    flushAll(a, b);
    expect(a.engine.view!.get("p")!.tags).toEqual(["x", "mine"]);
    // a's tags stand: telling a that b replaced them (with "Put mine back") was false.
    expect(a.events.filter((e) => e.kind === "replaced")).toHaveLength(0);
    expect(b.events.filter((e) => e.kind === "replaced")).toHaveLength(1);
  });

  it("keeps an op answered 'internal' pending and resends it instead of dropping it", () => {
    const { a } = pair();
    a.engine.submit(P);
    const sent = a.toServer.find((m) => m.type === "op") as { n: number };
    a.toServer = []; // the server failed on it
    a.engine.receive({ type: "nack", n: sent.n, code: "internal", message: "Try again." });
    expect(a.engine.pending.length).toBe(1);
    expect(a.events.find((e) => e.kind === "reject")).toBeUndefined();
    a.clock += 1000;
    a.engine.tick();
    expect(a.toServer.map((m) => m.type)).toEqual(["op"]);
    a.flush();
    expect(a.engine.pending.length).toBe(0);
    expect(outline(a.engine.view!)).toEqual(["proposal:P[]"]);
  });

  it("resends ops answered 'rate_limited' with their same n, in n order (the server keeps the client's order on it)", () => {
    const { a } = pair();
    a.engine.submit(P);
    a.engine.submit({ kind: "create", id: "c", type: "critique", parent: "p", text: "child" });
    a.engine.submit({ kind: "set", id: "c", field: "note", value: "its note" });
    const sent = a.toServer.filter((m) => m.type === "op") as { n: number }[];
    a.toServer = [];
    // The first is refused for rate, the later ones as waiting for it (docs/protocol.md, "Limits").
    for (const [i, m] of sent.entries()) {
      a.clock += 3;
      a.engine.receive({ type: "nack", n: m.n, code: "rate_limited", message: "Slow down." });
      if (i === 0) a.clock += 400; // the later nacks come a while after the first
    }
    expect(a.events.find((e) => e.kind === "reject")).toBeUndefined();
    const perTick: number[][] = [];
    for (let t = 0; t < 5; t++) {
      a.clock += 300;
      a.engine.tick();
      perTick.push(a.toServer.filter((m) => m.type === "op").map((m) => (m as { n: number }).n));
      a.toServer = [];
    }
    // The first is due first and goes alone; the others follow on a later tick, in order.
    expect(perTick.filter((ns) => ns.length)).toEqual([[sent[0].n], sent.slice(1).map((m) => m.n)]);
  });

  it("rolls back a rejected op and reports it", () => {
    const { a, b } = pair();
    a.engine.submit(P);
    flushAll(a, b);
    b.engine.submit({ kind: "delete", id: "p" });
    b.flush();
    a.engine.submit({ kind: "create", id: "c", type: "critique", parent: "p", text: "late" });
    expect(a.engine.view!.get("c")).toBeDefined();
    flushAll(a, b);
    expect(a.events.find((e) => e.kind === "reject")?.data).toMatchObject({ code: "deleted" });
    expect(a.engine.view!.get("c")).toBeUndefined();
    expect(outline(a.engine.view!)).toEqual([]);
  });

  it.each([42, 7, 99, 1234, 5, 77, 2024, 31337])("converges after random concurrent edits from three clients (seed %i)", (seed0) => {
    const server = new FakeServer("game");
    const cs = [1, 2, 3].map((i) => new FakeClient(server, `c${i}`, i));
    cs.forEach((c) => c.connect());
    flushAll(...cs);
    let seed = seed0;
    const rnd = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    let ids = 0;
    for (let step = 0; step < 400; step++) {
      const c = cs[rnd(3)];
      const v = c.engine.view!;
      const live = [...v.nodes.values()].filter((n) => !n.deleted);
      const pick = live.length ? live[rnd(live.length)] : null;
      const r = rnd(10);
      try {
        if (!pick || r < 3) {
          const parent = pick && rnd(2) ? pick : null;
          const type = parent ? (parent.type === "critique" ? "patch" : "critique") : "proposal";
          c.engine.submit({ kind: "create", id: `n${ids++}`, type, parent: parent?.id ?? null, key: v.keyAt(parent?.id ?? null, 0), text: `t${ids}` });
        } else if (r < 6) {
          c.engine.submit({ kind: "set", id: pick.id, field: "text", value: `s${step}` });
        } else if (r < 7) {
          c.engine.submit({ kind: "delete", id: pick.id });
        } else if (r < 8) {
          const dead = [...v.nodes.values()].filter((n) => n.deleted);
          if (dead.length) c.engine.submit({ kind: "restore", id: dead[rnd(dead.length)].id });
        } else {
          const sib = v.liveChildren(pick.parent);
          c.engine.submit({ kind: "move", id: pick.id, parent: pick.parent, key: v.keyAt(pick.parent, rnd(sib.length + 1), pick.id) });
        }
      } catch {
        /* locally rejected: fine */
      }
      if (rnd(4) === 0) flushAll(cs[rnd(3)]);
      if (rnd(30) === 0) {
        const d = cs[rnd(3)];
        d.disconnect();
        d.connect();
      }
    }
    flushAll(...cs);
    flushAll(...cs);
    const truth = outline(server.state);
    for (const c of cs) {
      for (const n of c.engine.confirmed!.nodes.values()) {
        const m = c.engine.view!.get(n.id);
        const strip = (x: typeof n | undefined) => x && { ...x, field_seq: {}, author: null, y: undefined };
        expect(strip(m)).toEqual(strip(n));
      }
      expect(outline(c.engine.confirmed!)).toEqual(truth);
      expect(c.engine.pending).toHaveLength(0);
      expect(outline(c.engine.view!)).toEqual(truth);
      expect(outline(c.engine.confirmed!)).toEqual(truth);
    }
    // Every text edit is a Yjs update merged on each replica: seconds on a loaded machine.
  }, 30_000);
});
