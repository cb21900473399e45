/**
 * The shared setup of the text-compaction tests (compaction.test.ts, rebase.test.ts): two
 * people on one node "p" of a fake server that compacts text documents, random typing until it
 * does, and the whole tree as the snapshot a page too far behind is sent.
 */
import type { ServerMessage } from "../src/core/types";
import { type FakeClient, FakeServer, flushAll, pair } from "./fakeserver";

export type Typist = (c: FakeClient, id: string, keys: number) => void;

/**
 * Random single-key edits anywhere in a node's text, as a person types and deletes
 * (deterministic per seed): past `longest` characters, or at random, a key deletes the
 * character before it; else it types one of `letters`.
 */
export function typist(seed: number, longest: number, letters: string): Typist {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
  return (c, id, keys) => {
    for (let i = 0; i < keys; i++) {
      const s = c.engine.view!.get(id)!.text;
      const p = Math.floor(rnd() * (s.length + 1));
      const next = s.length > longest || (s.length && rnd() < 0.45) ? s.slice(0, Math.max(0, p - 1)) + s.slice(p) : s.slice(0, p) + letters[Math.floor(rnd() * letters.length)] + s.slice(p);
      c.engine.editText(id, next);
    }
  };
}

/** A and B on a server that compacts past `compactAt` bytes, with a node "p" A made with `text`. */
export function twoOnOneNode(text: string, compactAt: number): { server: FakeServer; a: FakeClient; b: FakeClient } {
  const server = new FakeServer("game");
  server.compactAt = compactAt;
  const { a, b } = pair(server);
  a.engine.submit({ kind: "create", id: "p", type: "proposal", parent: null, key: "a0", text });
  flushAll(a, b);
  return { server, a, b };
}

/** Whether the server has logged a text update that compacted its document. */
export function compacted(server: FakeServer): boolean {
  return server.log.some((o) => o.op.kind === "text" && o.op.compact);
}

/** `who` types into "p", sending after every 20 keys, until the server compacts it. */
export function typeUntilCompacted(server: FakeServer, who: FakeClient, type: Typist): void {
  while (!compacted(server)) {
    type(who, "p", 20);
    who.flush();
  }
}

/** The server's whole tree as a snapshot: what a page too far behind for a catch-up gets. */
export function snapshotOf(server: FakeServer): ServerMessage {
  const nodes = [...server.state.nodes.values()].map((n) => ({ ...n, y: server.state.textState(n.id) }));
  return { type: "snapshot", seq: server.seq, kind: "game", nodes };
}

/** `times` rounds of the `ticking` clients' timers (their re-sends), each with every message delivered. */
export function tickAndFlush(times: number, ticking: FakeClient[], ...all: FakeClient[]): void {
  for (let i = 0; i < times; i++) {
    for (const c of ticking) c.engine.tick();
    flushAll(...all);
  }
}
