/**
 * Client core, DOM-free: the sync engine of one tree (docs/protocol.md, "Client rules").
 *
 * It keeps two states. `confirmed` is the server's tree: every logged op applied strictly in seq
 * order. `view` is what the user sees: `confirmed` plus the user's pending (unacknowledged) ops
 * applied optimistically. A (node, field group) touched by a pending op is locked: incoming
 * values for it update `confirmed` only (rule 4, no flicker). When the op is acknowledged or
 * rejected, the lock is released and the group is copied from `confirmed`, so the view always
 * converges to the server's tree once the queue is empty. Typing (merged, not locked) is the
 * half in core/sync-text.ts; the shapes it reports and its hooks are in core/sync-types.ts.
 */
import { TreeState } from "./state";
import type {
  Change,
  Group,
  LoggedOp,
  NodeType,
  Op,
  ServerMessage,
  TreeKind,
  TreeNode,
  User,
} from "./types";
import { type UndoGuard, type WriteInfo, writtenGroup } from "./undo";
import { fromBase64 } from "./ytext";
import { TextSync, typedText } from "./sync-text";
import {
  MOVE_CONFLICT_MS,
  type PendingOp,
  type PresenceInfo,
  REPLACED_WINDOW_MS,
  RESEND_MS,
  SYNC_RETRY_MS,
  type SyncHooks,
  type Typing,
} from "./sync-types";

export * from "./sync-types";

const lockKey = (c: Change) => `${c.id}|${c.group}`;

/** How many of this client's logged ops are remembered for undo (their seq, what they replaced). */
const MY_OPS_KEPT = 5000;

export class SyncEngine extends TextSync implements UndoGuard {
  /** Set once: at construction, or by `adopt` before the socket opens. */
  clientId: string;
  kind: TreeKind | null = null;
  lastSeq: number | null = null;
  connected = false;
  /** The open socket was welcomed: from then on it receives the tree's broadcasts. */
  joined = false;
  conn: string | null = null;
  me: User | null = null;
  role: string | null = null;
  readonly presence = new Map<string, PresenceInfo>();

  private n = 0;
  private readonly locks = new Map<string, number>();
  private readonly buffer = new Map<number, LoggedOp>();
  private readonly myWrites = new Map<string, { seq: number; value: unknown; at: number }>();
  private syncAskedAt: number | null = null;
  private readonly deletedBy = new Map<string, number | null>();
  private readonly lastMove = new Map<
    string,
    { clientId: string; actor: number | null; at: number; parent: string | null; key: string; type: NodeType }
  >();
  private wantSeq = 0;
  private wantSince = 0;
  /** `id|group` -> the last structural write of it the server logged (own-only undo). */
  private readonly writes = new Map<string, WriteInfo>();
  /** This client's logged ops: n -> its seq and the write it replaced (`id|group`). */
  private readonly myOps = new Map<number, { seq: number; key: string; prev: WriteInfo | null }>();

  constructor(hooks: SyncHooks, clientId?: string) {
    super(hooks);
    this.clientId = clientId ?? crypto.randomUUID();
  }

  private now(): number {
    return this.hooks.now ? this.hooks.now() : Date.now();
  }

  // ------------------------------------------------------------------ connection

  /** The socket opened: say hello, then resend every unacknowledged op with its same n. */
  connectionOpened(): void {
    this.connected = true;
    this.joined = false;
    this.syncAskedAt = null;
    this.hooks.send({ type: "hello", client_id: this.clientId, since: this.lastSeq });
    const now = this.now();
    for (const p of this.pending) {
      if (p.ackSeq !== null) continue;
      // Sent on an earlier socket: the answer to this hello may already hold it.
      if (p.sentAt !== null) p.doubt = true;
      this.hooks.send({ type: "op", n: p.n, op: p.op });
      p.sentAt = now;
    }
  }

  connectionClosed(): void {
    this.connected = false;
    this.joined = false;
    this.presence.clear();
    this.hooks.onPresence?.(this.presence);
  }

  /** Periodic housekeeping: resend ops with no answer, retry a gap repair. */
  tick(): void {
    if (!this.connected) return;
    const now = this.now();
    for (const p of this.pending) {
      if (p.ackSeq === null && p.sentAt !== null && now - p.sentAt >= RESEND_MS) {
        this.hooks.send({ type: "op", n: p.n, op: p.op });
        p.sentAt = now;
      }
    }
    if (this.lastSeq === null) return;
    const gap = this.buffer.size > 0 || (this.wantSeq > this.lastSeq && now - this.wantSince >= 300);
    if (gap && (this.syncAskedAt === null || now - this.syncAskedAt >= SYNC_RETRY_MS)) this.askSync();
  }

  // ------------------------------------------------------------------ local edits

  /**
   * Apply a local op to the view (throws OpError if the rules reject it), queue it and send it.
   * Returns the view changes.
   */
  submit(op: Op): Change[] {
    if (!this.view) throw new Error("the tree is not loaded yet");
    // A whole-text write from this client (undo of old entries, scripts) merges like typing.
    if (op.kind === "set" && op.field === "text" && typeof op.value === "string" && op.y === undefined)
      return this.editText(op.id, op.value);
    const editors =
      op.kind === "delete"
        ? [...this.presence.values()].filter((p) => p.editing && p.node && this.view!.isAncestorOrSelf(op.id, p.node))
        : [];
    const groups = this.view.apply(op);
    if (op.kind === "create" && this.me) this.view.get(op.id)!.author = this.me.id;
    if (editors.length)
      queueMicrotask(() =>
        this.hooks.onConflict?.({ kind: "deleted-while-editing", id: op.id, actor: editors[0].user.id, node: editors[0].node! }),
      );
    // Text is merged, not locked: other people's typing shows while ours is in flight.
    this.enqueue(op, op.kind === "text" ? [] : groups);
    this.hooks.onChanges?.(groups, false);
    return groups;
  }

  protected enqueue(op: Op, groups: Change[], text?: string): void {
    for (const g of groups) this.locks.set(lockKey(g), (this.locks.get(lockKey(g)) ?? 0) + 1);
    const p: PendingOp = { n: ++this.n, op, groups, sentAt: null, ackSeq: null };
    if (text !== undefined) p.text = text;
    this.pending.push(p);
    if (this.connected && this.hooks.send({ type: "op", n: p.n, op })) p.sentAt = this.now();
    this.hooks.onPendingChange?.(this.pending.length);
  }

  /**
   * Take over the unsent ops of an earlier page of this client (the outbox, core/outbox.ts),
   * before the tree is loaded: they are applied to the view like any pending op and resent
   * with their numbers after the hello, so the server answers those it has as duplicates.
   * `typing`: the typing among them as text, per node (`unsentTyping` of that page).
   */
  adopt(clientId: string, n: number, ops: { n: number; op: Op; text?: string }[], typing: Record<string, Typing> = {}): void {
    if (this.view || this.connected || this.pending.length) throw new Error("adopt before the tree is loaded");
    this.clientId = clientId;
    // The same typing as text, re-applied if its updates no longer apply (`settleStaleTexts`).
    for (const [id, t] of Object.entries(typing)) {
      if (ops.some((o) => o.op.kind === "text" && o.op.id === id)) this.adoptedTyping.set(id, t);
      // Its updates were refused already: re-applied as text once the tree is loaded.
      else this.staleTexts.set(id, t);
    }
    this.n = Math.max(n, ...ops.map((o) => o.n));
    for (const o of ops) {
      const p: PendingOp = { n: o.n, op: o.op, groups: [], sentAt: null, ackSeq: null, adopted: true, doubt: true };
      if (o.text !== undefined) p.text = o.text;
      this.pending.push(p);
    }
  }

  /** The highest op number used so far. */
  get opNumber(): number {
    return this.n;
  }

  /** Ops the server has not acknowledged yet, in order (a text op with the text it made). */
  unsent(): { n: number; op: Op; text?: string }[] {
    return this.pending
      .filter((p) => p.ackSeq === null)
      .map((p) => (p.op.kind === "text" && p.text !== undefined ? { n: p.n, op: p.op, text: p.text } : { n: p.n, op: p.op }));
  }

  // ------------------------------------------------------------------ undo guard (core/undo.ts)

  seqOf(n: number): number | null {
    return this.myOps.get(n)?.seq ?? this.pending.find((p) => p.n === n)?.ackSeq ?? null;
  }

  lastWrite(id: string, group: string): WriteInfo | null {
    const seq = this.confirmed?.get(id)?.field_seq[group] ?? 0;
    const w = this.writes.get(`${id}|${group}`);
    if (w && w.seq === seq) return w;
    // Written before this page saw the log (a snapshot): by whom is not known.
    return seq > 0 ? { seq, actor: null, clientId: "", n: -1 } : null;
  }

  prevOf(n: number, id: string, group: string): WriteInfo | null | undefined {
    const m = this.myOps.get(n);
    return m && m.key === `${id}|${group}` ? m.prev : undefined;
  }

  private noteWrite(lo: LoggedOp, prev: WriteInfo | null, key: string): void {
    const info = { seq: lo.seq, actor: lo.actor, clientId: lo.client_id, n: lo.n };
    this.writes.set(key, info);
    // A create writes the fields it was given too (the undo of a create looks at them).
    if (lo.op.kind === "create")
      for (const g of ["text", "note", "tags"] as const) if (lo.op[g] !== undefined) this.writes.set(`${lo.op.id}|${g}`, info);
    if (lo.client_id !== this.clientId || key.endsWith("|text")) return;
    this.myOps.set(lo.n, { seq: lo.seq, key, prev });
    if (this.myOps.size > MY_OPS_KEPT) this.myOps.delete(this.myOps.keys().next().value!);
  }

  isLocked(id: string, group: Group): boolean {
    return (this.locks.get(`${id}|${group}`) ?? 0) > 0;
  }

  // ------------------------------------------------------------------ incoming

  receive(msg: ServerMessage): void {
    switch (msg.type) {
      case "welcome":
        this.me = msg.user;
        this.role = msg.role;
        this.conn = String(msg.conn);
        {
          // A socket is welcomed again when it asks for a snapshot by a second hello; it was
          // in the tree's group since the first welcome, so it has not joined anew. `joined`
          // is true before onWelcome: the page may send what needs a welcomed socket
          // (presence) from there.
          const joining = !this.joined;
          this.joined = true;
          this.hooks.onWelcome?.(msg.user, msg.role, this.conn);
          if (joining) this.hooks.onJoined?.();
        }
        break;
      case "snapshot":
        // The answer to this socket's hello: ops first sent after it are not in it.
        this.loadSnapshot(msg.seq, msg.kind, msg.nodes, true);
        break;
      case "ops":
        for (const o of msg.ops) this.bufferOp(o);
        this.drain();
        this.settleStaleTexts();
        break;
      case "op": {
        const { type: _t, ...o } = msg;
        this.bufferOp(o);
        this.drain();
        break;
      }
      case "ack":
        this.onAck(msg.n, msg.seq);
        break;
      case "nack":
        this.onNack(msg.n, msg.code, msg.message);
        break;
      case "presence": {
        const conn = String(msg.conn);
        if (conn === this.conn) break;
        this.presence.set(conn, { conn, user: msg.user, node: msg.node, editing: msg.editing, typing: !!msg.typing });
        this.hooks.onPresence?.(this.presence);
        break;
      }
      case "presence_leave":
        this.presence.delete(String(msg.conn));
        this.hooks.onPresence?.(this.presence);
        break;
      case "error":
        if (msg.code === "resync_required") this.requestSnapshot();
        else if (msg.code === "internal" && this.hooks.fetchSnapshot) {
          // e.g. a catch-up too big for one socket message: load over HTTP, then sync.
          this.requestSnapshot();
        } else this.hooks.onError?.(msg.code, msg.message);
        break;
      case "role":
        this.role = msg.role;
        this.hooks.onRole?.(msg.role);
        break;
      case "pong":
        break;
    }
  }

  /** `fromHello`: the socket's answer to its hello (else loaded over HTTP, at any moment). */
  loadSnapshot(seq: number, kind: TreeKind, nodes: TreeNode[], fromHello = false): void {
    // Unconfirmed typing as the person saw it (base: the server's text it was typed on), in
    // case the snapshot's document was compacted since and it no longer merges (`retype`).
    const typing = new Map<string, Typing>();
    for (const p of this.pending) {
      if (p.op.kind !== "text" || typing.has(p.op.id) || p.ackSeq !== null || !this.view) continue;
      const t = this.typingIn(p.op.id);
      if (t) typing.set(p.op.id, t);
    }
    this.kind = kind;
    this.confirmed = new TreeState(kind, nodes);
    this.lastSeq = seq;
    this.syncAskedAt = null;
    for (const s of [...this.buffer.keys()]) if (s <= seq) this.buffer.delete(s);
    // Ops acknowledged at or before the snapshot are in it already.
    this.pending = this.pending.filter((p) => p.ackSeq === null || p.ackSeq > seq);
    this.rebuildView();
    for (const [id, t] of typing) {
      // Typing whose updates the server may have applied already (their answers not in yet)
      // waits for those answers, as typing taken over from the outbox does: re-applied now, it
      // would come twice where it had been applied.
      const unsure = this.pending.some(
        (p) => p.op.kind === "text" && p.op.id === id && p.ackSeq === null && (p.doubt || (!fromHello && p.sentAt !== null)),
      );
      if (unsure) this.awaitAnswers(id, t);
      else this.retype(id, t);
    }
    this.hooks.onReset?.();
    this.hooks.onPendingChange?.(this.pending.length);
    this.drain();
    // Typing refused before the tree was here (or the snapshot replaced the catch-up).
    this.settleStaleTexts();
  }

  private rebuildView(): void {
    this.view = this.confirmed!.clone();
    this.locks.clear();
    for (const u of this.textUndo.values()) u.um.destroy();
    this.textUndo.clear();
    const keep: PendingOp[] = [];
    for (const p of this.pending) {
      try {
        p.groups = this.view.apply(p.op);
      } catch {
        // Already in the snapshot (e.g. a create whose ack was lost): its ack will come as dup.
        p.groups = [];
      }
      for (const g of p.groups) this.locks.set(lockKey(g), (this.locks.get(lockKey(g)) ?? 0) + 1);
      keep.push(p);
    }
    this.pending = keep;
  }

  private fetching = false;

  private requestSnapshot(): void {
    this.buffer.clear();
    const fetch = this.hooks.fetchSnapshot;
    if (!fetch) {
      this.hooks.send({ type: "hello", client_id: this.clientId, since: null });
      return;
    }
    if (this.fetching) return;
    this.fetching = true;
    fetch()
      .then((s) => {
        this.fetching = false;
        if (this.lastSeq === null || s.seq > this.lastSeq || this.buffer.size === 0) this.loadSnapshot(s.seq, s.kind, s.nodes);
        if (this.connected) this.askSync();
      })
      .catch(() => {
        this.fetching = false;
        this.hooks.send({ type: "hello", client_id: this.clientId, since: null });
      });
  }

  /** Load the tree over HTTP before the socket opens (see `fetchSnapshot`). */
  async preload(): Promise<void> {
    if (!this.hooks.fetchSnapshot || this.lastSeq !== null) return;
    const s = await this.hooks.fetchSnapshot();
    if (this.lastSeq === null || s.seq > this.lastSeq) this.loadSnapshot(s.seq, s.kind, s.nodes);
  }

  private askSync(): void {
    if (this.lastSeq === null) return;
    this.syncAskedAt = this.now();
    this.hooks.send({ type: "sync", since: this.lastSeq });
  }

  private bufferOp(o: LoggedOp): void {
    if (this.lastSeq !== null && o.seq <= this.lastSeq) return; // duplicate or old
    this.buffer.set(o.seq, o);
  }

  private drain(): void {
    if (this.lastSeq === null || !this.confirmed) return;
    const changes: Change[] = [];
    for (;;) {
      const next = this.buffer.get(this.lastSeq + 1);
      if (!next) break;
      this.buffer.delete(next.seq);
      if (!this.applyLogged(next, changes)) return;
    }
    if (this.buffer.size > 0 && (this.syncAskedAt === null || this.now() - this.syncAskedAt >= SYNC_RETRY_MS))
      this.askSync();
    if (this.buffer.size === 0) this.syncAskedAt = null;
    if (changes.length) this.hooks.onChanges?.(changes, true);
  }

  /** Apply one op of the log to `confirmed`, then mirror unlocked groups into the view. */
  private applyLogged(lo: LoggedOp, out: Change[]): boolean {
    let changes: Change[];
    // A compaction replaces the confirmed document: keep the old one to rebase typing from.
    const compacting = (lo.op.kind === "text" || lo.op.kind === "set") && lo.op.compact !== undefined;
    const oldDoc = compacting && this.confirmed!.get(lo.op.id) ? this.confirmed!.textDoc(lo.op.id) : null;
    const group = writtenGroup(lo.op);
    // Who wrote what last, for own-only undo (text merges: only who, for undoing a create).
    const key = `${lo.op.id}|${group}`;
    const prev = group === "text" ? null : this.lastWrite(lo.op.id, group);
    try {
      changes = this.confirmed!.apply(lo.op, lo.seq);
    } catch {
      // The server applied an op our copy of its state cannot: we have drifted. Start over.
      this.requestSnapshot();
      return false;
    }
    this.lastSeq = lo.seq;
    this.noteWrite(lo, prev, key);
    const mine = lo.client_id === this.clientId;
    // The log says who created a node; a snapshot carries it, a live create must too.
    if (lo.op.kind === "create" && lo.actor !== null) {
      const created = this.confirmed!.get(lo.op.id);
      if (created) created.author = lo.actor;
    }
    if (!mine && lo.op.kind === "delete") this.hooks.onRemoteDelete?.(lo.op.id, lo.actor);
    if (lo.op.kind === "delete" && !mine) for (const c of changes) this.deletedBy.set(c.id, lo.actor);
    if (lo.op.kind === "move") this.noteMove(lo, mine);
    if (lo.op.kind === "set") {
      const k = `${lo.op.id}|${lo.op.field}`;
      if (mine) {
        this.myWrites.set(k, { seq: lo.seq, value: lo.op.value, at: this.now() });
      } else {
        const w = this.myWrites.get(k);
        if (w && typeof lo.overwrote === "number" && lo.overwrote === w.seq) {
          this.myWrites.delete(k);
          // A later write of mine to the field, still on its way, lands after theirs: mine stands.
          const op = lo.op;
          const mineNext = this.pending.some((p) => p.ackSeq === null && p.op.kind === "set" && p.op.id === op.id && p.op.field === op.field);
          if (!mineNext && this.now() - w.at <= REPLACED_WINDOW_MS && !sameValue(w.value, lo.op.value))
            this.hooks.onReplaced?.({
              id: lo.op.id,
              field: lo.op.field,
              mine: w.value,
              theirs: lo.op.value,
              actor: lo.actor,
              seq: lo.seq,
            });
        } else if (w) {
          this.myWrites.delete(k);
        }
      }
    }
    if (mine) {
      const i = this.pending.findIndex((p) => p.n === lo.n);
      if (i >= 0) {
        this.applied(this.pending[i]);
        this.finish(i, out);
      }
    }
    // (After `finish`: `isLocked(id, "note")` says whether a write of this client is left.)
    if (lo.op.kind === "set" && lo.op.field === "note") this.hooks.onNote?.(lo.op.id, this.confirmed!.get(lo.op.id)?.note ?? "", mine);
    const op = lo.op;
    const update = op.kind === "text" ? op.update : op.kind === "set" && op.field === "text" ? op.y : undefined;
    if (update !== undefined) {
      // Merged into the view at once, under this person's unconfirmed typing if any.
      if (this.view!.mergeText(op.id, fromBase64(update))) out.push({ id: op.id, group: "text" });
      if (compacting) this.rebaseText(op.id, oldDoc, out);
      return true;
    }
    if (op.kind === "set" && op.field === "text") {
      // Logged before text merging: the text started over; so does ours.
      this.view!.resetText(this.confirmed!, op.id);
      out.push({ id: op.id, group: "text" });
      return true;
    }
    for (const c of changes) if (!this.isLocked(c.id, c.group)) this.mirror(c, out);
    return true;
  }

  private noteMove(lo: LoggedOp, mine: boolean): void {
    const op = lo.op as Extract<Op, { kind: "move" }>;
    const node = this.confirmed!.get(op.id);
    if (!node) return;
    const now = this.now();
    const prev = this.lastMove.get(op.id);
    this.lastMove.set(op.id, { clientId: lo.client_id, actor: lo.actor, at: now, parent: node.parent, key: node.key, type: node.type });
    if (!prev || prev.clientId === lo.client_id || now - prev.at > MOVE_CONFLICT_MS) return;
    const prevMine = prev.clientId === this.clientId;
    if (!mine && !prevMine) return;
    const back = { parent: prev.parent, key: prev.key, type: prev.type };
    this.hooks.onConflict?.({ kind: "move", id: op.id, actor: mine ? prev.actor : lo.actor, mineWon: mine, back });
  }

  /** Who deleted node `id` (as far as this client saw), or null. */
  whoDeleted(id: string): number | null {
    return this.deletedBy.get(id) ?? null;
  }

  /** Copy one group of one node from `confirmed` into the view (every unlocked group for "exists"). */
  private mirror(c: Change, out: Change[]): void {
    const view = this.view!;
    const had = view.get(c.id) !== undefined;
    if (view.copyGroup(this.confirmed!, c.id, c.group)) out.push(c);
    if (c.group !== "exists" || !had || !this.confirmed!.get(c.id)) return;
    // Our own create, confirmed: the server may have changed e.g. the key.
    for (const g of ["position", "text", "note", "tags", "deleted", "parents"] as const) {
      if (this.isLocked(c.id, g)) continue;
      if (view.copyGroup(this.confirmed!, c.id, g)) out.push({ id: c.id, group: g });
    }
    view.get(c.id)!.author = this.confirmed!.get(c.id)!.author;
  }

  private finish(i: number, out: Change[]): void {
    const [p] = this.pending.splice(i, 1);
    for (const g of p.groups) {
      const k = lockKey(g);
      const left = (this.locks.get(k) ?? 1) - 1;
      if (left > 0) {
        this.locks.set(k, left);
        continue;
      }
      this.locks.delete(k);
      this.mirror(g, out);
    }
    this.hooks.onPendingChange?.(this.pending.length);
  }

  private onAck(n: number, seq: number): void {
    const i = this.pending.findIndex((p) => p.n === n);
    if (i < 0) return;
    this.applied(this.pending[i]);
    if (this.lastSeq !== null && seq <= this.lastSeq) {
      // Already applied (e.g. carried in a snapshot): just release the locks.
      const out: Change[] = [];
      this.finish(i, out);
      if (out.length) this.hooks.onChanges?.(out, true);
      return;
    }
    this.pending[i].ackSeq = seq;
    if (seq > this.wantSeq) {
      this.wantSeq = seq;
      this.wantSince = this.now();
    }
    this.hooks.onPendingChange?.(this.pending.length);
  }

  private onNack(n: number, code: string, message: string): void {
    const i = this.pending.findIndex((p) => p.n === n);
    if (i < 0) return;
    const p = this.pending[i];
    if (code === "rate_limited" || code === "internal") {
      // Not a refusal of the edit: the server was busy or briefly lost its database. Resend
      // with the same n (deduplicated if it had been applied after all) in a second.
      p.sentAt = this.now() - RESEND_MS + 1000;
      return;
    }
    const out: Change[] = [];
    this.finish(i, out);
    if (p.op.kind === "text" && code === "conflict") {
      // Made against a document the server has compacted since (the log will say so): keep
      // the typing, catch up, and let `rebaseText` send it again. If catching up brings no
      // compaction (it came before this page had the tree), it is re-applied as text
      // (`settleStaleTexts`).
      const id = p.op.id;
      const typing = this.typingIn(id);
      this.pending = this.pending.filter((q) => !(q.op.kind === "text" && q.op.id === id && q.ackSeq === null));
      if (typing) this.staleTexts.set(id, typing);
      this.askSync();
      this.hooks.onPendingChange?.(this.pending.length);
      if (out.length) this.hooks.onChanges?.(out, true);
      return;
    }
    if (p.op.kind === "text") {
      // The text update was refused (too long, node deleted...): this person's unconfirmed
      // typing in that node goes, and so do the later updates carrying it.
      const id = p.op.id;
      const t = this.typingIn(id);
      const typed = t ? typedText(t) : undefined;
      this.adoptedTyping.delete(id);
      if (code === "deleted")
        queueMicrotask(() => this.hooks.onConflict?.({ kind: "edit-deleted", id, actor: this.whoDeleted(id), text: typed }));
      this.pending = this.pending.filter((q) => !(q.op.kind === "text" && q.op.id === id && q.ackSeq === null));
      this.dirtyTexts.delete(id);
      this.view!.resetText(this.confirmed!, id);
      out.push({ id, group: "text" });
      this.hooks.onPendingChange?.(this.pending.length);
    }
    if (out.length) this.hooks.onChanges?.(out, true);
    this.hooks.onReject?.(p.op, code, message);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
