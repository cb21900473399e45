/**
 * What a page missed while it had no socket: the ops come with the hello's answer, the rest
 * (the merge review queue) is read again once per connection (`onJoined`), and that read
 * never races one in flight (core/rereads.ts).
 */
import { describe, expect, it } from "vitest";
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
    expect(r.joined()).toBe(true);
    r.begin();
    r.end();
    expect(r.again()).toBe(false);
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
