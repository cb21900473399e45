/**
 * Each op applies exactly once when an outbox is replayed: a page went while sending (the
 * server applied some of its updates, their answers never came), the server then compacted
 * the node, and the next page re-applies the rest of the typing as text (docs/protocol.md,
 * "Outbox"). The re-applied typing is based on what the server acknowledged, not on the text
 * the typing started from: otherwise the acknowledged letters come twice.
 */
import { describe, expect, it } from "vitest";
import { twoOnOneNode } from "./compacting";
import { FakeClient, FakeServer, flushAll } from "./fakeserver";

const compacted = (server: FakeServer) => server.log.some((o) => (o.op.kind === "text" || o.op.kind === "set") && o.op.compact);

/** A, B and node "p"; A types `word` after "middle", key by key; the server gets `applied` of
 * those updates and A's socket (`gone`: its page) goes before any answer comes back; B then
 * types at the start of the node until the server compacts it. */
function halfSentThenCompacted(word: string, applied: number, gone = true) {
  const { server, a, b } = twoOnOneNode("START middle END", 1500);
  for (let i = 1; i <= word.length; i++) a.engine.editText("p", `START middle${word.slice(0, i)} END`);
  for (let i = 0; i < applied; i++) server.handle(a, a.toServer.shift()!);
  const record = { client: a.engine.clientId, n: a.engine.opNumber, ops: a.engine.unsent(), typing: a.engine.unsentTyping() };
  a.disconnect();
  if (gone) server.clients.delete(a);
  let k = 0;
  while (!compacted(server)) {
    b.engine.editText("p", "bcd"[k++ % 3] + b.engine.view!.get("p")!.text);
    b.flush();
  }
  flushAll(b);
  return { server, a, b, record };
}

describe("An outbox replayed after a compaction", () => {
  it("applies the typing the server had taken before the page went once, over the socket", () => {
    const { server, b, record } = halfSentThenCompacted(" ALPHA", 3);
    const bText = b.engine.view!.get("p")!.text;
    expect(bText).toContain("middle AL END"); // the three updates the server applied
    expect(record.ops.length).toBe(6); // ... all still unacknowledged in the outbox

    const a = new FakeClient(server, "A", 1);
    a.engine.adopt(record.client, record.n, record.ops, record.typing);
    a.connect();
    for (let i = 0; i < 4; i++) {
      a.engine.tick();
      flushAll(a, b);
    }
    const text = server.state.get("p")!.text;
    expect(text).toBe(bText.replace("middle AL END", "middle ALPHA END"));
    expect(a.engine.view!.get("p")!.text).toBe(text);
    expect(b.engine.view!.get("p")!.text).toBe(text);
    expect(a.events).toEqual([]);
    expect(a.engine.unsent()).toEqual([]);
  });

  it("applies it once when every update had been taken (nothing to re-apply)", () => {
    const { server, b, record } = halfSentThenCompacted(" OMEGA", 6);
    const bText = b.engine.view!.get("p")!.text;
    const a = new FakeClient(server, "A", 1);
    a.engine.adopt(record.client, record.n, record.ops, record.typing);
    a.connect();
    for (let i = 0; i < 4; i++) flushAll(a, b);
    expect(server.state.get("p")!.text).toBe(bText);
    expect(bText).toContain("middle OMEGA END");
    expect(a.engine.view!.get("p")!.text).toBe(bText);
  });

  it("applies it once when the same page reconnects and gets the tree as a snapshot", () => {
    const { server, a, b } = halfSentThenCompacted(" ALPHA", 3, false);
    const bText = b.engine.view!.get("p")!.text;
    server.catchUpLimit = 10; // far behind: the hello is answered with a snapshot
    a.connect();
    for (let i = 0; i < 4; i++) {
      a.engine.tick();
      flushAll(a, b);
    }
    const text = server.state.get("p")!.text;
    expect(text).toBe(bText.replace("middle AL END", "middle ALPHA END"));
    expect(a.engine.view!.get("p")!.text).toBe(text);
    expect(b.engine.view!.get("p")!.text).toBe(text);
    expect(a.events).toEqual([]);
    expect(a.engine.unsent()).toEqual([]);
    expect(a.engine.unsentTyping()).toEqual({});
  });

  it("applies it once when the same page reconnects and catches up from the log", () => {
    const { server, a, b } = halfSentThenCompacted(" ALPHA", 3, false);
    const bText = b.engine.view!.get("p")!.text;
    a.connect();
    for (let i = 0; i < 4; i++) {
      a.engine.tick();
      flushAll(a, b);
    }
    const text = server.state.get("p")!.text;
    expect(text).toBe(bText.replace("middle AL END", "middle ALPHA END"));
    expect(a.engine.view!.get("p")!.text).toBe(text);
    expect(a.events).toEqual([]);
  });

  it("records in the outbox the text each update made, and the typing left after the answered ones", () => {
    const { server, b, record } = halfSentThenCompacted(" ALPHA", 3);
    expect(record.ops.map((o) => o.text)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `START middle${" ALPHA".slice(0, i)} END`));
    const a = new FakeClient(server, "A", 1);
    a.engine.adopt(record.client, record.n, record.ops, record.typing);
    a.connect();
    // Only the hello and the answers to the resent updates: the first three are duplicates.
    a.dropIncoming = (m) => m.type === "nack";
    flushAll(a, b);
    expect(a.engine.unsent().map((o) => o.n)).toEqual([5, 6, 7]); // n 1 was the create
    expect(a.engine.unsentTyping()).toEqual({ p: { base: "START middle AL END", local: "START middle ALPHA END" } });
  });
});
