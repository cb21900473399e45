import { describe, expect, it } from "vitest";
import { type Locks, Outbox, STALE_MS } from "../src/core/outbox";
import type { Op } from "../src/core/types";
import { FakeClient, FakeServer, outline } from "./fakeserver";

/** localStorage's interface over a Map (one per "browser"). */
class MemStore {
  m = new Map<string, string>();
  get length() {
    return this.m.size;
  }
  key(i: number) {
    return [...this.m.keys()][i] ?? null;
  }
  getItem(k: string) {
    return this.m.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.m.set(k, v);
  }
  removeItem(k: string) {
    this.m.delete(k);
  }
}

const P: Op = { kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "P" };
const T = (v: string): Op => ({ kind: "set", id: "p", field: "text", value: v });

/** Web Locks over a Set shared by the "pages" of one browser. */
function fakeLocks(held: Set<string>): Locks {
  return {
    tryHold: async (name) => {
      if (held.has(name)) return null;
      held.add(name);
      return () => held.delete(name);
    },
  };
}

describe("Outbox", () => {
  it("with locks: a live page's record is not taken; once its page is gone it is, with its client id and numbers", async () => {
    const store = new MemStore();
    const held = new Set<string>();
    const pageA = new Outbox(store, 7, () => 1000, "A", fakeLocks(held));
    const pageB = new Outbox(store, 7, () => 1000, "B", fakeLocks(held));
    expect(await pageA.hold("client-a")).toBe(true);
    pageA.save(3, "client-a", 2, [
      { n: 1, op: P },
      { n: 2, op: T("x") },
    ]);
    expect(await pageB.take(3)).toBeNull();
    held.clear(); // page A is gone (reload, closed tab, crash): the browser drops its locks
    const got = (await pageB.take(3))!;
    expect([got.client, got.n, got.ops.map((o) => o.n)]).toEqual(["client-a", 2, [1, 2]]);
    // Nobody else can take it now.
    expect(await new Outbox(store, 7, () => 1000, "C", fakeLocks(held)).take(3)).toBeNull();
  });

  it("without locks: a page that stopped beating counts as gone; users and trees are kept apart", async () => {
    const store = new MemStore();
    let now = 0;
    const pageA = new Outbox(store, 7, () => now, "A");
    pageA.save(3, "client-a", 1, [{ n: 1, op: P }]);
    const pageB = new Outbox(store, 7, () => now, "B");
    now += STALE_MS / 2;
    pageA.beat(3, "client-a");
    now += STALE_MS / 2 + 1;
    expect(await pageB.take(3)).toBeNull(); // the beat kept it alive
    now += STALE_MS;
    expect(await new Outbox(store, 8, () => now, "X").take()).toBeNull(); // another user's
    expect(await pageB.take(4)).toBeNull(); // another tree
    expect((await pageB.take(3))?.client).toBe("client-a");
  });

  it("without locks: a page that lets go is taken over at once", async () => {
    const store = new MemStore();
    const pageA = new Outbox(store, 7, () => 50, "A");
    pageA.save(3, "client-a", 1, [{ n: 1, op: P }]);
    const pageB = new Outbox(store, 7, () => 50, "B");
    expect(await pageB.take(3)).toBeNull();
    pageA.letGo(3, "client-a");
    expect((await pageB.take(3))?.client).toBe("client-a");
  });

  it("keeps typing as text with its ops, and alone once its ops were refused, until it is done", async () => {
    const store = new MemStore();
    const pageA = new Outbox(store, 7, () => 50, "A");
    const typing = { p: { base: "P", local: "P typed" } };
    pageA.save(3, "client-a", 2, [{ n: 2, op: { kind: "text", id: "p", update: "AA==" } }], typing);
    pageA.save(3, "client-a", 2, [], typing);
    pageA.letGo(3, "client-a");
    const pageB = new Outbox(store, 7, () => 50, "B");
    const got = (await pageB.take(3))!;
    expect([got.ops, got.typing]).toEqual([[], typing]);
    pageB.drop(got, new Set(), ["p"]);
    expect(store.length).toBe(0);
  });

  it("removes a record when nothing is left to send, and drops unreadable ones", () => {
    const store = new MemStore();
    const box = new Outbox(store, 7, () => 5, "A");
    box.save(3, "c", 1, [{ n: 1, op: P }]);
    expect(store.length).toBe(1);
    box.save(3, "c", 1, []);
    expect(store.length).toBe(0);
    store.setItem("gametree:outbox:7:3:bad", "{not json");
    expect(box.records()).toEqual([]);
    expect(store.length).toBe(0);
  });
});

describe("A reopened page adopts the outbox", () => {
  it("resends the unsent ops with their numbers: applied once, new ops numbered after them", () => {
    const server = new FakeServer("game");
    const first = new FakeClient(server, "A", 1);
    first.connect();
    first.flush();
    first.engine.submit(P);
    first.engine.submit(T("typed before reload"));
    // The server got the first op, but the page was reloaded before any answer came back.
    server.handle(first, first.toServer.shift()!);
    const unsent = first.engine.unsent();
    expect(unsent.map((o) => o.n)).toEqual([1, 2]);
    first.disconnect();
    server.clients.delete(first);

    const again = new FakeClient(server, "A", 1);
    again.engine.adopt(first.engine.clientId, first.engine.opNumber, unsent);
    again.connect();
    again.flush();
    expect(outline(again.engine.view!)).toEqual(["proposal:typed before reload[]"]);
    expect(server.log.map((l) => l.n)).toEqual([1, 2]); // op 1 was not applied twice
    expect(again.engine.unsent()).toEqual([]);
    again.engine.submit(T("after"));
    expect(again.engine.pending[0].n).toBe(3);
  });
});
