/** A tiny in-memory stand-in for the server (docs/protocol.md) used by the core tests. */
import { TreeState } from "../src/core/state";
import { SyncEngine, type SyncHooks } from "../src/core/sync";
import type { ClientMessage, LoggedOp, ServerMessage, TreeKind } from "../src/core/types";
import { OpError } from "../src/core/types";
import * as Y from "yjs";
import { fromBase64, loadDoc, mergeText, ROOT, serverDiff, toBase64 } from "../src/core/ytext";

export class FakeServer {
  state: TreeState;
  log: LoggedOp[] = [];
  seen = new Map<string, number>(); // client_id|n -> seq
  clients = new Set<FakeClient>();
  lastWrite = new Map<string, number>();
  /** Compact a text document past this many bytes (null: never), as the server does at 32 KiB. */
  compactAt: number | null = null;
  /** A hello further behind than this many ops is answered with a snapshot (the server: 1,000). */
  catchUpLimit = Infinity;
  constructor(public kind: TreeKind = "game") {
    this.state = new TreeState(kind);
  }
  get seq(): number {
    return this.log.length;
  }
  handle(c: FakeClient, msg: ClientMessage): void {
    if (msg.type === "hello") {
      c.deliver({ type: "welcome", user: { id: c.userId, username: `u${c.userId}`, name: `u${c.userId}` }, role: "editor", conn: c.name });
      if (msg.since === null || this.seq - msg.since > this.catchUpLimit) c.deliver({ type: "snapshot", seq: this.seq, kind: this.kind, nodes: [...this.state.nodes.values()].map((n) => ({ ...n, y: this.state.textState(n.id) })) });
      else c.deliver({ type: "ops", ops: this.log.slice(msg.since) });
    } else if (msg.type === "sync") {
      c.deliver({ type: "ops", ops: this.log.slice(msg.since) });
    } else if (msg.type === "op") {
      const k = `${c.engine.clientId}|${msg.n}`;
      const dup = this.seen.get(k);
      if (dup !== undefined) return c.deliver({ type: "ack", n: msg.n, seq: dup, dup: true });
      const op = structuredClone(msg.op);
      // As the real server: a note written with base is merged into the note as it is now
      // (trees/domain/textmerge.py, the same rule as mergeText) and logged without base.
      if (op.kind === "set" && op.field === "note" && typeof op.base === "string" && this.state.get(op.id)) {
        const now = this.state.get(op.id)!.note;
        if (op.base !== now) op.value = mergeText(op.base, op.value as string, now);
        delete op.base;
      }
      // As the real server: a whole-text write is logged with its diff as the server's client.
      if (op.kind === "set" && op.field === "text" && typeof op.value === "string" && op.y === undefined && this.state.get(op.id))
        op.y = serverDiff(this.state.textDoc(op.id), op.value);
      // As the real server: an update that cannot be integrated fully (made against edits this
      // server does not have, e.g. a document compacted since) is refused as `conflict`.
      if (op.kind === "text" && this.state.get(op.id)) {
        const trial = loadDoc(this.state.textState(op.id), this.state.get(op.id)!.text);
        try {
          Y.applyUpdate(trial, fromBase64(op.update));
        } catch {
          /* state.apply reports it */
        }
        if (trial.store.pendingStructs || trial.store.pendingDs)
          return c.deliver({ type: "nack", n: msg.n, code: "conflict", message: "resync" });
      }
      try {
        this.state.apply(op, this.seq + 1);
      } catch (e) {
        if (e instanceof OpError) return c.deliver({ type: "nack", n: msg.n, code: e.code, message: e.message });
        throw e;
      }
      // As the real server: a text document past `compactAt` bytes is compacted, and the op
      // logged with the new document (trees/domain/ytext.py `compacted`).
      if ((op.kind === "text" || (op.kind === "set" && op.field === "text")) && this.compactAt !== null) {
        const now = this.state.textState(op.id) ?? "";
        if (now.length * 0.75 > this.compactAt) {
          const fresh = new Y.Doc();
          fresh.clientID = 2 ** 32 + this.seq + 1;
          fresh.getText(ROOT).insert(0, this.state.get(op.id)!.text);
          op.compact = toBase64(Y.encodeStateAsUpdate(fresh));
          this.state.compactText(op.id, op.compact);
        }
      }
      // log the op as applied (the key the server chose)
      if (op.kind === "create" || op.kind === "move") op.key = this.state.get(op.id)!.key;
      let overwrote: number | null = null;
      if (op.kind === "set") {
        const wk = `${op.id}|${op.field}`;
        // A note merged from its base replaced nothing its writer did not see.
        const merged = msg.op.kind === "set" && msg.op.field === "note" && typeof msg.op.base === "string";
        overwrote = merged ? 0 : (this.lastWrite.get(wk) ?? 0);
        this.lastWrite.set(wk, this.seq + 1);
      }
      const lo: LoggedOp = { seq: this.seq + 1, client_id: c.engine.clientId, n: msg.n, op, actor: c.userId, overwrote };
      this.log.push(lo);
      this.seen.set(k, lo.seq);
      c.deliver({ type: "ack", n: msg.n, seq: lo.seq, dup: false });
      for (const o of this.clients) if (o.online) o.deliver({ type: "op", ...lo });
    }
  }
}

/** A client whose messages are queued both ways until `flush()`, so tests control timing. */
export class FakeClient {
  engine: SyncEngine;
  online = false;
  toServer: ClientMessage[] = [];
  toClient: ServerMessage[] = [];
  dropIncoming: (m: ServerMessage) => boolean = () => false;
  events: { kind: string; data: unknown }[] = [];
  clock = 0;
  constructor(public server: FakeServer, public name: string, public userId: number, hooks: Partial<SyncHooks> = {}) {
    this.engine = new SyncEngine({
      send: (m) => {
        if (!this.online) return false;
        this.toServer.push(m);
        return true;
      },
      onReject: (op, code) => this.events.push({ kind: "reject", data: { op, code } }),
      onReplaced: (info) => this.events.push({ kind: "replaced", data: info }),
      onConflict: (info) => this.events.push({ kind: "conflict", data: info }),
      now: () => this.clock,
      // Text updates leave at once (the page sends them in a microtask).
      schedule: (flush) => flush(),
      ...hooks,
    });
    server.clients.add(this);
  }
  connect(): void {
    this.online = true;
    this.engine.connectionOpened();
  }
  disconnect(): void {
    this.online = false;
    this.toServer = [];
    this.toClient = [];
    this.engine.connectionClosed();
  }
  deliver(m: ServerMessage): void {
    if (this.online) this.toClient.push(structuredClone(m));
  }
  /** Run the message pumps until both directions are empty. */
  flush(): void {
    for (let guard = 0; guard < 10000; guard++) {
      if (this.toServer.length) {
        this.server.handle(this, this.toServer.shift()!);
      } else if (this.toClient.length) {
        const m = this.toClient.shift()!;
        if (!this.dropIncoming(m)) this.engine.receive(m);
      } else return;
    }
    throw new Error("flush did not settle");
  }
}

export function flushAll(...cs: FakeClient[]): void {
  for (let i = 0; i < 50; i++) {
    let busy = false;
    for (const c of cs) {
      if (c.toServer.length || c.toClient.length) {
        busy = true;
        c.flush();
      }
    }
    if (!busy) return;
  }
}

/** The visible tree as nested text lines, for comparisons. */
export function outline(s: TreeState, parent: string | null = null, depth = 0): string[] {
  const out: string[] = [];
  for (const n of s.liveChildren(parent)) {
    out.push(`${"  ".repeat(depth)}${n.type}:${n.text}[${n.tags.join(",")}]`);
    out.push(...outline(s, n.id, depth + 1));
  }
  return out;
}

/** Two people, A (user 1) and B (user 2), connected to one server and caught up. */
export function pair(server = new FakeServer("game")): { server: FakeServer; a: FakeClient; b: FakeClient } {
  const a = new FakeClient(server, "A", 1);
  const b = new FakeClient(server, "B", 2);
  a.connect();
  b.connect();
  flushAll(a, b);
  return { server, a, b };
}
