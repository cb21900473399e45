/**
 * What a page missed while it had no socket: the ops come with the hello's answer, the rest
 * (the merge review queue, the tag field's suggestions) is read again once per connection
 * (`onJoined`), also when its last read failed, and that read never races one in flight
 * (core/rereads.ts, core/kept-list.ts).
 */
import { describe, expect, it } from "vitest";
import { KeptList } from "../src/core/kept-list";
import { Rereads } from "../src/core/rereads";
import type { Op } from "../src/core/types";
import { FakeClient, FakeServer, flushAll } from "./fakeserver";

const P: Op = { kind: "create", id: "p", type: "problem", parent: null, key: "a0", text: "P" };

/** Carol's page, counting its joins and whole-tree resets, with alice connected beside it. */
function carolAndAlice(server = new FakeServer("problem")) {
  const seen = { joins: 0, resets: 0 };
  const carol = new FakeClient(server, "C", 3, { onJoined: () => seen.joins++, onReset: () => seen.resets++ });
  const alice = new FakeClient(server, "A", 1);
  carol.connect();
  alice.connect();
  flushAll(carol, alice);
  return { server, carol, alice, seen };
}

describe("onJoined", () => {
  it("is told once when the page's first socket is welcomed", () => {
    const { seen } = carolAndAlice();
    expect(seen).toEqual({ joins: 1, resets: 1 });
  });

  it("is told again on a reconnect the server answers with the ops missed, which resets nothing", () => {
    const { carol, alice, seen } = carolAndAlice();
    carol.disconnect();
    alice.engine.submit(P);
    flushAll(alice);
    carol.connect();
    flushAll(carol, alice);
    expect(carol.engine.view!.get("p")!.text).toBe("P");
    expect(seen).toEqual({ joins: 2, resets: 1 });
  });

  it("is told once on a reconnect answered with a snapshot: the snapshot is no second join", () => {
    const { server, carol, alice, seen } = carolAndAlice();
    server.catchUpLimit = 0;
    carol.disconnect();
    alice.engine.submit(P);
    flushAll(alice);
    carol.connect();
    flushAll(carol, alice);
    expect(seen).toEqual({ joins: 2, resets: 2 });
  });

  it("is not told when a joined socket asks for the tree again by a second hello", () => {
    const { carol, seen } = carolAndAlice();
    carol.deliver({ type: "error", code: "resync_required", message: "The tree is too large for a socket snapshot." });
    flushAll(carol);
    expect(carol.engine.joined).toBe(true);
    expect(seen).toEqual({ joins: 1, resets: 2 });
  });

  it("is not told when the tree is read again over HTTP on a joined socket", async () => {
    const server = new FakeServer("problem");
    const seen = { joins: 0, resets: 0 };
    const carol: FakeClient = new FakeClient(server, "C", 3, {
      onJoined: () => seen.joins++,
      onReset: () => seen.resets++,
      fetchSnapshot: () =>
        Promise.resolve({ seq: server.seq, kind: server.kind, nodes: [...server.state.nodes.values()].map((n) => ({ ...n, y: server.state.textState(n.id) })) }),
    });
    carol.connect();
    flushAll(carol);
    carol.deliver({ type: "error", code: "internal", message: "The server could not handle that; try again." });
    flushAll(carol);
    await new Promise((done) => setTimeout(done, 0)); // the read over HTTP is answered
    flushAll(carol);
    expect(seen).toEqual({ joins: 1, resets: 2 });
  });
});

describe("Rereads", () => {
  it("reads now when the socket joins and nothing is being read", () => {
    const r = new Rereads();
    r.begin();
    r.end();
    expect(r.joined()).toBe(true);
    r.begin();
    r.end();
    expect(r.again()).toBe(false);
  });

  it("reads nothing when the socket joins before the list was ever read (the tab was never opened)", () => {
    const r = new Rereads();
    expect(r.joined()).toBe(false);
    expect(r.again()).toBe(false);
  });

  it("reads a list whose read failed when the socket joins: the page may have been offline", () => {
    const r = new Rereads();
    r.begin();
    r.end(); // failed: nothing is shown but the error
    expect(r.again()).toBe(false); // not tried again by itself
    expect(r.joined()).toBe(true);
  });

  it("follows a read that fails while the socket joins by one more read", () => {
    const r = new Rereads();
    r.begin();
    expect(r.joined()).toBe(false);
    r.end(); // failed: it went out before the page was back online
    expect(r.again()).toBe(true);
  });

  it("reads nothing on a join once the page has no such list (a tree without a review queue)", () => {
    const r = new Rereads();
    r.begin();
    expect(r.joined()).toBe(false);
    r.end(); // answered: not a merged tree
    r.none();
    expect(r.again()).toBe(false);
    expect(r.joined()).toBe(false);
  });

  it("reads a list a message says changed now, or once more after the read in flight", () => {
    const r = new Rereads();
    r.begin();
    r.end();
    expect(r.changed()).toBe(true);
    r.begin();
    expect(r.changed()).toBe(false);
    r.end();
    expect(r.again()).toBe(true);
  });

  it("follows a read in flight when the socket joined by one more read, not a second one beside it", () => {
    const r = new Rereads();
    r.begin();
    expect(r.joined()).toBe(false);
    expect(r.joined()).toBe(false); // a second join meanwhile: still one more read
    expect(r.again()).toBe(false); // not while the read is in flight
    r.end();
    expect(r.again()).toBe(true);
    expect(r.again()).toBe(false);
    r.begin(); // the read again, answered with everything
    r.end();
    expect(r.again()).toBe(false);
  });

  it("reads once more after a live message that came while the read was in flight, and not for one after it", () => {
    const r = new Rereads();
    r.announced(); // no read in flight: the message is applied as it is
    r.begin();
    r.end();
    expect(r.again()).toBe(false);
    r.begin();
    r.announced();
    r.end();
    expect(r.again()).toBe(true);
  });

  it("waits for every read in flight before the one more read", () => {
    const r = new Rereads();
    r.begin();
    r.begin();
    r.announced();
    r.end();
    expect(r.again()).toBe(false);
    r.end();
    expect(r.again()).toBe(true);
  });
});

/** A reader whose answers the test gives: counts the reads, and how many were ever in flight at once. */
function reader() {
  const calls: { answer(rows: string[]): void; fail(): void }[] = [];
  let inFlight = 0;
  let most = 0;
  const read = () =>
    new Promise<string[]>((resolve, reject) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      const done = () => (inFlight -= 1);
      calls.push({ answer: (rows) => (done(), resolve(rows)), fail: () => (done(), reject(new Error("The server cannot be reached."))) });
    });
  return { read, calls, most: () => most };
}

/** Let the answered read's continuation run (and a read it starts begin). */
const settle = () => new Promise((done) => setTimeout(done, 0));

/** Carol's page keeping a list (the tag field's suggestions) read by `r`, with alice beside it. */
function carolKeeping(r: ReturnType<typeof reader>) {
  const server = new FakeServer("problem");
  let shown = 0;
  const list = new KeptList<string>(r.read, () => shown++);
  const carol = new FakeClient(server, "C", 3, { onJoined: () => list.joined() });
  const alice = new FakeClient(server, "A", 1);
  carol.connect();
  alice.connect();
  flushAll(carol, alice);
  let edits = 0;
  /** Carol's page goes offline, alice edits meanwhile, and carol's page comes back. */
  const reconnect = () => {
    carol.disconnect();
    alice.engine.submit({ ...P, id: `p${++edits}` });
    flushAll(alice);
    carol.connect();
    flushAll(carol, alice);
  };
  return { list, reconnect, shown: () => shown };
}

describe("KeptList (the tag field's suggestions)", () => {
  it("is read when first needed, not on the join before, and not again while read or being read", async () => {
    const r = reader();
    const { list, shown } = carolKeeping(r);
    expect(r.calls).toHaveLength(0);
    list.need();
    list.need();
    expect(r.calls).toHaveLength(1);
    r.calls[0].answer(["shortcut"]);
    await settle();
    list.need();
    expect(r.calls).toHaveLength(1);
    expect(list.rows).toEqual(["shortcut"]);
    expect(shown()).toBe(1);
  });

  it("is read again, once, when carol's page reconnects, and shows the new answer", async () => {
    const r = reader();
    const { list, reconnect } = carolKeeping(r);
    list.need();
    r.calls[0].answer(["shortcut", "hack"]);
    await settle();
    reconnect();
    expect(r.calls).toHaveLength(2);
    r.calls[1].answer(["proxy-gaming"]);
    await settle();
    expect(list.rows).toEqual(["proxy-gaming"]);
    expect(r.calls).toHaveLength(2);
  });

  it("is read once more after the read in flight when carol's page reconnects during it, never twice at once", async () => {
    const r = reader();
    const { list, reconnect } = carolKeeping(r);
    list.need();
    reconnect();
    reconnect();
    expect(r.calls).toHaveLength(1);
    r.calls[0].answer(["shortcut"]); // may have been answered before the rename
    await settle();
    expect(r.calls).toHaveLength(2);
    r.calls[1].answer(["proxy-gaming"]);
    await settle();
    expect(list.rows).toEqual(["proxy-gaming"]);
    expect(r.calls).toHaveLength(2);
    expect(r.most()).toBe(1);
  });

  it("whose read failed while the page was offline is read when carol's page is back, keeping the rows it had meanwhile", async () => {
    const r = reader();
    const { list, reconnect } = carolKeeping(r);
    list.need();
    r.calls[0].answer(["shortcut"]);
    await settle();
    list.changed();
    r.calls[1].fail();
    await settle();
    expect(list.rows).toEqual(["shortcut"]);
    reconnect();
    expect(r.calls).toHaveLength(3);
    r.calls[2].answer(["proxy-gaming"]);
    await settle();
    expect(list.rows).toEqual(["proxy-gaming"]);
  });

  it("whose first read failed is read at the next need, or at the next join", async () => {
    const r = reader();
    const { list, reconnect } = carolKeeping(r);
    list.need();
    r.calls[0].fail();
    await settle();
    list.need();
    expect(r.calls).toHaveLength(2);
    r.calls[1].fail();
    await settle();
    reconnect();
    expect(r.calls).toHaveLength(3);
    r.calls[2].answer(["proxy-gaming"]);
    await settle();
    expect(list.rows).toEqual(["proxy-gaming"]);
  });

  it("is read again when a `tags` message says it changed, and not when it was never read", async () => {
    const r = reader();
    const { list } = carolKeeping(r);
    list.changed();
    expect(r.calls).toHaveLength(0);
    list.need();
    r.calls[0].answer(["shortcut"]);
    await settle();
    list.changed();
    expect(r.calls).toHaveLength(2);
  });
});

describe("KeptList (the titles naming a merged tree's sources)", () => {
  it("lets whoever needs it wait for the read in flight, answered or failed", async () => {
    const r = reader();
    const { list } = carolKeeping(r);
    let settled = 0;
    void list.need().then(() => settled++);
    void list.need().then(() => settled++);
    await settle();
    expect(settled).toBe(0);
    r.calls[0].fail();
    await settle();
    expect(settled).toBe(2);
    expect(list.answered).toBe(false);
  });

  it("whose read failed when the page opened is read at the next join, and names the sources from then on", async () => {
    const r = reader();
    const { list, reconnect } = carolKeeping(r);
    void list.need();
    r.calls[0].fail(); // the page opened while the server could not be reached
    await settle();
    expect(list.answered).toBe(false);
    reconnect();
    expect(r.calls).toHaveLength(2);
    r.calls[1].answer(["Bob's problem tree"]);
    await settle();
    expect(list.answered).toBe(true);
    expect(list.rows).toEqual(["Bob's problem tree"]);
    await list.need(); // answered: no read more
    expect(r.calls).toHaveLength(2);
  });
});

describe("SyncEngine.joined", () => {
  it("is already true when the page is told of the welcome, so presence sent from there goes out", () => {
    const server = new FakeServer("problem");
    const seen: boolean[] = [];
    const carol: FakeClient = new FakeClient(server, "C", 3, { onWelcome: () => seen.push(carol.engine.joined) });
    carol.connect();
    flushAll(carol);
    carol.disconnect();
    expect(carol.engine.joined).toBe(false);
    carol.connect();
    flushAll(carol);
    expect(seen).toEqual([true, true]);
  });
});
