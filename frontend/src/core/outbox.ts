/**
 * The unsent edits of one client, kept in the browser's storage so that nothing is lost when a
 * tab is reloaded, closed, navigated away from or loses the network (docs/protocol.md,
 * "Outbox"). DOM-free: it gets a `Storage` (localStorage in the page, a Map in tests) and, where
 * the browser has them, named locks (the Web Locks API).
 *
 * One record per (user, tree, client id): `{client, n, ops: [{n, op, text?}], typing, owner, beat}`
 * (`typing`: per node, the unsent typing among the ops as text, the server's text it was typed on
 * and the text it made, to re-apply it where its Yjs updates no longer apply). A page
 * holds the lock named after its client id for as long as it lives; the browser lets go of it
 * the moment the page is gone (reload, closed tab, crash). A record whose lock is free is an
 * orphan: the next page that opens the tree adopts it (same client id, same op numbers, so the
 * server answers anything it already has as a duplicate), and any other page of the same user
 * sends it over REST. A client id is never used by two live pages at once: their op numbers
 * would collide. Without Web Locks (a plain-http origin), the owner's `beat`, refreshed every
 * few seconds and set to 0 when the page goes, says the same more slowly.
 */
import type { Typing } from "./sync-types";
import type { Op } from "./types";

export const BEAT_MS = 2000;
/** Without locks, a record not refreshed for this long belongs to a page that has gone. */
export const STALE_MS = 10000;

export interface OutboxOp {
  n: number;
  op: Op;
  /**
   * A `text` op: the node's text it made. Once the server has applied the op, the rest of the
   * typing is re-applied from this text, not from `typing.base` (which it already holds).
   */
  text?: string;
}

export interface OutboxRecord {
  v: 1;
  user: number;
  tree: number;
  client: string;
  /** The highest op number this client has used. */
  n: number;
  ops: OutboxOp[];
  /** node id -> unsent typing in it as text (absent in records of older pages). */
  typing?: Record<string, Typing>;
  /** The page that owns it (a random id per page load). */
  owner: string;
  /** When the owner last said it is alive (ms since epoch); 0: released. */
  beat: number;
}

export interface KV {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
  key(index: number): string | null;
  readonly length: number;
}

/** Exclusive named locks shared by the browser's pages (Web Locks), held until released. */
export interface Locks {
  /** The lock if nobody holds it (resolves to its release function), else null. */
  tryHold(name: string): Promise<(() => void) | null>;
}

const PREFIX = "gametree:outbox:";

/** Something is left to send: ops, or typing whose ops were refused (re-applied as text). */
function hasWork(r: OutboxRecord): boolean {
  return r.ops.length > 0 || Object.keys(r.typing ?? {}).length > 0;
}

export class Outbox {
  readonly tab: string;
  private readonly held = new Map<string, () => void>();

  constructor(
    private readonly store: KV,
    readonly user: number,
    private readonly now: () => number = Date.now,
    tab?: string,
    private readonly locks: Locks | null = null,
  ) {
    this.tab = tab ?? Math.random().toString(36).slice(2) + this.now().toString(36);
  }

  static key(user: number, tree: number, client: string): string {
    return `${PREFIX}${user}:${tree}:${client}`;
  }

  static lockName(client: string): string {
    return `gametree:client:${client}`;
  }

  /** Every record of this user (of one tree if given). */
  records(tree?: number): OutboxRecord[] {
    const out: OutboxRecord[] = [];
    const head = tree === undefined ? `${PREFIX}${this.user}:` : `${PREFIX}${this.user}:${tree}:`;
    const keys: string[] = [];
    for (let i = 0; i < this.store.length; i++) {
      const k = this.store.key(i);
      if (k && k.startsWith(head)) keys.push(k);
    }
    for (const k of keys) {
      const r = this.read(k);
      if (r) out.push(r);
      else this.store.removeItem(k); // unreadable: nothing to send
    }
    return out;
  }

  private read(k: string): OutboxRecord | null {
    try {
      const r = JSON.parse(this.store.getItem(k) ?? "null") as OutboxRecord | null;
      if (!r || r.v !== 1 || typeof r.client !== "string" || !Array.isArray(r.ops)) return null;
      return r;
    } catch {
      return null;
    }
  }

  private staleBeat(r: OutboxRecord): boolean {
    return r.beat === 0 || this.now() - r.beat > STALE_MS;
  }

  /** Records of other pages with something to send, most ops first (candidates to take). */
  candidates(tree?: number): OutboxRecord[] {
    return this.records(tree)
      .filter((r) => r.owner !== this.tab && hasWork(r) && !this.held.has(r.client))
      .sort((a, b) => b.ops.length - a.ops.length || a.client.localeCompare(b.client));
  }

  /**
   * Hold `client` for this page: true if no live page holds it. With locks this is atomic
   * across pages; without, it trusts the owner's beat.
   */
  async hold(client: string, r?: OutboxRecord): Promise<boolean> {
    if (this.held.has(client)) return true;
    if (this.locks) {
      const release = await this.locks.tryHold(Outbox.lockName(client));
      if (!release) return false;
      this.held.set(client, release);
      return true;
    }
    if (r && !this.staleBeat(r)) return false;
    this.held.set(client, () => undefined);
    return true;
  }

  /** Let go of `client` (this page is leaving it; another page may take its record). */
  letGo(tree: number, client: string): void {
    const r = this.read(Outbox.key(this.user, tree, client));
    if (r && r.owner === this.tab) {
      r.beat = 0;
      this.write(r);
    }
    this.held.get(client)?.();
    this.held.delete(client);
  }

  /** Take over an orphaned record of another page (for `tree`, or any): null if none. */
  async take(tree?: number): Promise<OutboxRecord | null> {
    for (const c of this.candidates(tree)) {
      if (!(await this.hold(c.client, c))) continue;
      const r = this.read(Outbox.key(this.user, c.tree, c.client));
      if (!r || !hasWork(r)) {
        this.letGo(c.tree, c.client);
        continue;
      }
      r.owner = this.tab;
      r.beat = this.now();
      this.write(r);
      return r;
    }
    return null;
  }

  /**
   * Record what `client` has not had acknowledged yet (`typing`: the typing among it as text);
   * nothing removes the record.
   */
  save(tree: number, client: string, n: number, ops: OutboxOp[], typing: Record<string, Typing> = {}): void {
    const k = Outbox.key(this.user, tree, client);
    const r: OutboxRecord = { v: 1, user: this.user, tree, client, n, ops, owner: this.tab, beat: this.now() };
    if (Object.keys(typing).length) r.typing = typing;
    if (!hasWork(r)) {
      this.store.removeItem(k);
      return;
    }
    this.write(r);
  }

  /**
   * Remove the ops numbered `ns` (and the typing of the nodes `done`) from a record this page
   * holds (sent elsewhere).
   */
  drop(r: OutboxRecord, ns: Set<number>, done: string[] = []): void {
    r.ops = r.ops.filter((o) => !ns.has(o.n));
    if (r.typing) for (const id of done) delete r.typing[id];
    if (r.typing && !Object.keys(r.typing).length) delete r.typing;
    if (hasWork(r)) this.write(r);
    else this.store.removeItem(Outbox.key(this.user, r.tree, r.client));
  }

  /** This page is alive and still owns `client`'s record (if it has one). */
  beat(tree: number, client: string): void {
    const r = this.read(Outbox.key(this.user, tree, client));
    if (!r || r.owner !== this.tab) return;
    r.beat = this.now();
    this.write(r);
  }

  private write(r: OutboxRecord): void {
    try {
      this.store.setItem(Outbox.key(r.user, r.tree, r.client), JSON.stringify(r));
    } catch {
      // Storage full or disabled: the edits are still in the page and sent while it is open.
    }
  }
}
