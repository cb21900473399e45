/**
 * Typing left in the outbox by a page that went before the server acknowledged it, when the
 * server compacted that node's document meanwhile: the reopened page re-applies it by a
 * three-way merge of its texts onto the server's text (docs/protocol.md, "Outbox").
 */
import { describe, expect, it } from "vitest";
import { Outbox } from "../src/core/outbox";
import { mergeText } from "../src/core/ytext";
import { snapshotOf, tickAndFlush, twoOnOneNode, typeUntilCompacted, typist } from "./compacting";
import { FakeClient, FakeServer, flushAll } from "./fakeserver";

describe("mergeText, a three-way merge at character level", () => {
  it("keeps edits of both sides in different places", () => {
    expect(mergeText("the quick fox", "the quick red fox", "A the quick fox jumps")).toBe("A the quick red fox jumps");
  });

  it("keeps typing right after a word the other side replaced after its replacement", () => {
    expect(mergeText("the quick fox", "the slow fox", "the quickest fox")).toBe("the slowest fox");
  });

  it("keeps every character both sides typed in the same word", () => {
    const merged = mergeText("the fox", "the red fox", "the brown fox");
    expect(merged).toBe("the red brown fox");
  });

  it("keeps the other side's typing at both ends when mine is in the middle", () => {
    // The old one-span rule gave "aXbc" here: theirs covered mine, and mine won everything.
    expect(mergeText("abc", "aXbc", "YabcZ")).toBe("YaXbcZ");
  });

  it("deletes what either side deleted and types what either typed", () => {
    expect(mergeText("one two three", "one three", "one two three four")).toBe("one three four");
    expect(mergeText("one two three", "one two three!", "one three")).toBe("one three!");
  });

  it("does not double an edit both sides already made", () => {
    expect(mergeText("abc", "abXc", "abXc")).toBe("abXc");
    expect(mergeText("abc", "abc", "abXc")).toBe("abXc");
  });

  it("puts typing next to a rewritten word next to its rewrite, not among letters it shares", () => {
    // "cat" became "a dog sat" (the a and t are coincidences): "!" after "cat" goes after it.
    expect(mergeText("my cat here", "my cat! here", "my a dog sat here")).toBe("my a dog sat! here");
  });

  it("never splits a character outside the basic plane", () => {
    expect(mergeText("a😀b", "a😀😁b", "a😀b!")).toBe("a😀😁b!");
  });
});

/** Random typing that keeps a node under 300 characters. */
const typing = (seed: number) => typist(seed, 300, "xyz ");

/** A, B and a node "p"; A types `typed` into it and its page goes before any answer comes. */
function typedThenGone(typed: (text: string) => string) {
  const { server, a, b } = twoOnOneNode("START middle END", 1500);
  a.engine.editText("p", typed(a.engine.view!.get("p")!.text));
  // The page unloads: its outbox is what it had not had acknowledged.
  const record = { client: a.engine.clientId, n: a.engine.opNumber, ops: a.engine.unsent(), typing: a.engine.unsentTyping() };
  a.disconnect();
  server.clients.delete(a);
  return { server, b, record };
}

function reopen(server: FakeServer, record: ReturnType<typeof typedThenGone>["record"]): FakeClient {
  const again = new FakeClient(server, "A", 1);
  again.engine.adopt(record.client, record.n, record.ops, record.typing);
  again.connect();
  return again;
}

describe("Typing taken over from the outbox after the node was compacted", () => {
  it("is re-applied on the server's text, and the other person's typing stays", () => {
    const { server, b, record } = typedThenGone((t) => t.replace("middle", "middle ALPHA"));
    expect(record.ops.length).toBe(1);
    expect(record.typing).toEqual({ p: { base: "START middle END", local: "START middle ALPHA END" } });
    // B types all over the node until the server compacts it, then a last word at each end.
    typeUntilCompacted(server, b, typing(3));
    b.engine.editText("p", "BEGIN " + b.engine.view!.get("p")!.text + " FINISH");
    b.flush();
    const bText = b.engine.view!.get("p")!.text;

    const a = reopen(server, record);
    tickAndFlush(4, [a], a, b);
    const text = server.state.get("p")!.text;
    // A's typing (" ALPHA", or "ALPHA " after the space: the same edit) went in whole, and
    // B's text is all there around it.
    expect([text.replace(" ALPHA", ""), text.replace("ALPHA ", "")]).toContain(bText);
    expect(a.engine.view!.get("p")!.text).toBe(text);
    expect(b.engine.view!.get("p")!.text).toBe(text);
    // Refused once as `conflict` (the stale update), then re-applied: nothing told, nothing left.
    expect(a.events).toEqual([]);
    expect(a.engine.unsent()).toEqual([]);
    expect(a.engine.unsentTyping()).toEqual({});
  });

  it("is offered back, never dropped, when the node was deleted meanwhile", () => {
    const { server, b, record } = typedThenGone((t) => t + " OMEGA");
    b.engine.submit({ kind: "delete", id: "p" });
    b.flush();

    const a = reopen(server, record);
    for (let i = 0; i < 3; i++) flushAll(a, b);
    return Promise.resolve().then(() => {
      expect(a.events.filter((e) => e.kind === "conflict")).toEqual([
        { kind: "conflict", data: { kind: "edit-deleted", id: "p", actor: null, text: "START middle END OMEGA" } },
      ]);
      expect(server.state.get("p")!.text).toBe("START middle END");
      expect(a.engine.unsent()).toEqual([]);
    });
  });

  it("is re-applied when a page took over typing whose update was refused already", () => {
    const { server, b, record } = typedThenGone((t) => t.replace("START", "START ALPHA"));
    typeUntilCompacted(server, b, typing(7));
    // A page refused the update and went before re-applying it: only the text is left.
    const store = new Map<string, string>();
    const kv = {
      get length() {
        return store.size;
      },
      key: (i: number) => [...store.keys()][i] ?? null,
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    };
    new Outbox(kv, 1, Date.now, "gone").save(7, record.client, record.n, [], record.typing);
    const r = store.get(Outbox.key(1, 7, record.client));
    expect(r).toBeDefined();

    const a = reopen(server, { ...record, ops: [] });
    for (let i = 0; i < 3; i++) flushAll(a, b);
    const text = server.state.get("p")!.text;
    expect(text).toContain("ALPHA");
    expect(a.engine.view!.get("p")!.text).toBe(text);
    expect(b.engine.view!.get("p")!.text).toBe(text);
    expect(a.events).toEqual([]);
  });

  it("keeps what was typed on the reopened page before the refusal came, after the re-applied typing", () => {
    const { server, b, record } = typedThenGone((t) => t.replace("START", "START ALPHA"));
    typeUntilCompacted(server, b, typing(11));
    const a = new FakeClient(server, "A", 1);
    a.engine.adopt(record.client, record.n, record.ops, record.typing);
    // The tree loads (over HTTP) and the person types before the socket's answers come.
    a.engine.receive(snapshotOf(server));
    a.engine.editText("p", a.engine.view!.get("p")!.text + " OMEGA");
    a.connect();
    for (let i = 0; i < 3; i++) flushAll(a, b);
    const text = server.state.get("p")!.text;
    expect(text).toContain("ALPHA");
    expect(text.endsWith(" OMEGA")).toBe(true);
    expect(a.engine.view!.get("p")!.text).toBe(text);
    expect(b.engine.view!.get("p")!.text).toBe(text);
    expect(a.events).toEqual([]);
  });

  it("records as its base the text with the typing the server acknowledged already", () => {
    const server = new FakeServer("game");
    const a = new FakeClient(server, "A", 1);
    a.connect();
    a.flush();
    a.engine.submit({ kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text: "one" });
    a.flush();
    // "two" is acknowledged but its logged op has not come back; " three" is not sent yet.
    a.dropIncoming = (m) => m.type === "op";
    a.engine.editText("p", "one two");
    a.flush();
    expect(a.engine.pending.map((p) => p.ackSeq !== null)).toEqual([true]);
    a.online = false;
    a.engine.editText("p", "one two three");
    expect(a.engine.unsentTyping()).toEqual({ p: { base: "one two", local: "one two three" } });
  });

  it("is sent as it is when the node was not compacted (the update still applies)", () => {
    const { server, b, record } = typedThenGone((t) => t + " OMEGA");
    b.engine.editText("p", "B " + b.engine.view!.get("p")!.text);
    b.flush();
    const a = reopen(server, record);
    for (let i = 0; i < 3; i++) flushAll(a, b);
    expect(server.state.get("p")!.text).toBe("B START middle END OMEGA");
    expect(server.log.filter((o) => o.client_id === record.client && o.op.kind === "text").length).toBe(1);
    expect(a.engine.unsentTyping()).toEqual({});
  });
});
