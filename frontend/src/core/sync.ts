/**
 * Client core, DOM-free: the sync engine of one tree (docs/protocol.md, "Client rules").
 *
 * It keeps two states. `confirmed` is the server's tree: every logged op applied strictly in seq
 * order. `view` is what the user sees: `confirmed` plus the user's pending (unacknowledged) ops
 * applied optimistically. A (node, field group) touched by a pending op is locked: incoming
 * values for it update `confirmed` only (rule 4, no flicker). When the op is acknowledged or
 * rejected, the lock is released and the group is copied from `confirmed`, so the view always
 * converges to the server's tree once the queue is empty.
 */
import * as Y from "yjs";
import { LIMITS, longerThan, TreeState } from "./state";
import type {
  Change,
  ClientMessage,
  Group,
  LoggedOp,
  NodeType,
  Op,
  ServerMessage,
  TreeKind,
  TreeNode,
  User,
} from "./types";
import { OpError } from "./types";
import { type UndoGuard, type WriteInfo, writtenGroup } from "./undo";
import { diffInto, fromBase64, LOCAL, mergeText, pendingDelta, ROOT, textOf, updateBeyond } from "./ytext";

export const RESEND_MS = 5000;
export const SYNC_RETRY_MS = 2000;
/** A replaced write only counts as "concurrent" if the other write came this soon after. */
export const REPLACED_WINDOW_MS = 15000;

export interface PendingOp {
  n: number;
  op: Op;
  groups: Change[];
  sentAt: number | null;
  ackSeq: number | null;
}

export interface ReplacedInfo {
  id: string;
  field: string;
  mine: unknown;
  theirs: unknown;
  actor: number | null;
  seq: number;
}

/**
 * A structural conflict that could not merge, told to the people involved (each toast names
 * the node and offers a way back). `edit-deleted`: someone deleted a node this person was
 * typing in (`text`: what they had typed). `deleted-while-editing`: this person deleted a node
 * someone else was editing. `move`: two moves of one node close together; `mineWon` says
 * whose stands, `back` is where the other one had put it.
 */
export interface ConflictInfo {
  kind: "edit-deleted" | "deleted-while-editing" | "move";
  id: string;
  actor: number | null;
  text?: string;
  mineWon?: boolean;
  back?: { parent: string | null; key: string; type: NodeType };
}

/** Two moves of one node this close together (in ms) are told as a conflict. */
export const MOVE_CONFLICT_MS = 5000;

export interface PresenceInfo {
  conn: string;
  user: User;
  node: string | null;
  editing: boolean;
  /** Keys were pressed in `node` in the last few seconds. */
  typing: boolean;
}

export interface SyncHooks {
  /** Send one message; return false when there is no open connection. */
  send(msg: ClientMessage): boolean;
  /** The whole tree changed (first snapshot or a resync): re-render everything. */
  onReset?(): void;
  /** Some node groups of the view changed. */
  onChanges?(changes: Change[], remote: boolean): void;
  onReject?(op: Op, code: string, message: string): void;
  onReplaced?(info: ReplacedInfo): void;
  /** Someone else's delete of `id` (with its subtree) is about to be applied. */
  onRemoteDelete?(id: string, actor: number | null): void;
  onConflict?(info: ConflictInfo): void;
  onPresence?(all: Map<string, PresenceInfo>): void;
  onWelcome?(user: User, role: string, conn: string): void;
  onError?(code: string, message: string): void;
  onRole?(role: string): void;
  /**
   * Fetch the whole tree over HTTP (faster than a websocket snapshot for big trees, and not
   * subject to the socket's message size limit). Without it, a resync asks for a snapshot.
   */
  fetchSnapshot?(): Promise<{ seq: number; kind: TreeKind; nodes: TreeNode[] }>;
  onPendingChange?(count: number): void;
  now?(): number;
  /**
   * Run `flush` soon (text updates typed in one task are sent together); default: a microtask,
   * so every keystroke leaves at once.
   */
  schedule?(flush: () => void): void;
}

const lockKey = (c: Change) => `${c.id}|${c.group}`;

/** Transaction origin of re-applied typing after a compaction (not an undoable step). */
const REBASE = "rebase";

/** How many of this client's logged ops are remembered for undo (their seq, what they replaced). */
const MY_OPS_KEPT = 5000;

export class SyncEngine implements UndoGuard {
  /** Set once: at construction, or by `adopt` before the socket opens. */
  clientId: string;
  kind: TreeKind | null = null;
  confirmed: TreeState | null = null;
  view: TreeState | null = null;
  lastSeq: number | null = null;
  pending: PendingOp[] = [];
  connected = false;
  conn: string | null = null;
  me: User | null = null;
  role: string | null = null;
  readonly presence = new Map<string, PresenceInfo>();

  private n = 0;
  private readonly locks = new Map<string, number>();
  private readonly buffer = new Map<number, LoggedOp>();
  private readonly myWrites = new Map<string, { seq: number; value: unknown; at: number }>();
  private syncAskedAt: number | null = null;
  /** Nodes whose local text changed since the last send. */
  private readonly dirtyTexts = new Set<string>();
  private flushScheduled = false;
  /** node id -> this person's text undo manager (own changes only) on the view's document. */
  private readonly textUndo = new Map<string, { doc: Y.Doc; um: Y.UndoManager }>();
  private readonly deletedBy = new Map<string, number | null>();
  private readonly lastMove = new Map<
    string,
    { clientId: string; actor: number | null; at: number; parent: string | null; key: string; type: NodeType }
  >();
  private wantSeq = 0;
  private wantSince = 0;
  /** Nodes whose typing was refused as `conflict`, waiting for the log to catch up. */
  private readonly staleTexts = new Set<string>();
  /** `id|group` -> the last structural write of it the server logged (own-only undo). */
  private readonly writes = new Map<string, WriteInfo>();
  /** This client's logged ops: n -> its seq and the write it replaced (`id|group`). */
  private readonly myOps = new Map<number, { seq: number; key: string; prev: WriteInfo | null }>();

  constructor(
    private readonly hooks: SyncHooks,
    clientId?: string,
  ) {
    this.clientId = clientId ?? crypto.randomUUID();
  }

  private now(): number {
    return this.hooks.now ? this.hooks.now() : Date.now();
  }

  // ------------------------------------------------------------------ connection

  /** The socket opened: say hello, then resend every unacknowledged op with its same n. */
  connectionOpened(): void {
    this.connected = true;
    this.syncAskedAt = null;
    this.hooks.send({ type: "hello", client_id: this.clientId, since: this.lastSeq });
    const now = this.now();
    for (const p of this.pending) {
      if (p.ackSeq !== null) continue;
      this.hooks.send({ type: "op", n: p.n, op: p.op });
      p.sentAt = now;
    }
  }

  connectionClosed(): void {
    this.connected = false;
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
      queueMicrotask(() => this.hooks.onConflict?.({ kind: "deleted-while-editing", id: op.id, actor: editors[0].user.id }));
    // Text is merged, not locked: other people's typing shows while ours is in flight.
    this.enqueue(op, op.kind === "text" ? [] : groups);
    this.hooks.onChanges?.(groups, false);
    return groups;
  }

  private enqueue(op: Op, groups: Change[]): void {
    for (const g of groups) this.locks.set(lockKey(g), (this.locks.get(lockKey(g)) ?? 0) + 1);
    const p: PendingOp = { n: ++this.n, op, groups, sentAt: null, ackSeq: null };
    this.pending.push(p);
    if (this.connected && this.hooks.send({ type: "op", n: p.n, op })) p.sentAt = this.now();
    this.hooks.onPendingChange?.(this.pending.length);
  }

  /**
   * The person typed: make the node's text `value` by a minimal edit of the local Y document
   * (undoable by them alone) and send the update at once. Throws OpError like `submit`.
   */
  editText(id: string, value: string): Change[] {
    if (!this.view) throw new Error("the tree is not loaded yet");
    const n = this.view.get(id);
    if (!n) throw new OpError("not_found", "no such node");
    if (n.deleted) throw new OpError("deleted", "the node is deleted");
    if (longerThan(value, LIMITS.text)) throw new OpError("too_large", "text is too long");
    const doc = this.view.textDoc(id);
    this.undoFor(id);
    if (!diffInto(doc, value, LOCAL)) return [];
    return this.localTextChanged(id);
  }

  private localTextChanged(id: string): Change[] {
    this.view!.syncText(id);
    this.dirtyTexts.add(id);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      (this.hooks.schedule ?? queueMicrotask)(() => this.flushTexts());
    }
    const changes: Change[] = [{ id, group: "text" }];
    this.hooks.onChanges?.(changes, false);
    return changes;
  }

  /** Send every local text change not sent yet, each as one self-contained update. */
  flushTexts(): void {
    this.flushScheduled = false;
    const ids = [...this.dirtyTexts];
    this.dirtyTexts.clear();
    for (const id of ids) {
      const n = this.view?.get(id);
      if (!n || n.deleted) continue;
      // Everything beyond what the server has confirmed: never depends on an update in flight.
      const base = this.confirmed?.get(id) ? this.confirmed.textDoc(id) : null;
      this.enqueue({ kind: "text", id, update: updateBeyond(this.view!.textDoc(id), base) }, []);
    }
  }

  private undoFor(id: string): Y.UndoManager {
    const doc = this.view!.textDoc(id);
    let u = this.textUndo.get(id);
    if (!u || u.doc !== doc) {
      u?.um.destroy();
      // One step per run of typing: the outliner closes a run with `closeTextStep`.
      const um = new Y.UndoManager(doc.getText(ROOT), { trackedOrigins: new Set([LOCAL]), captureTimeout: 2 ** 31 - 1 });
      u = { doc, um };
      this.textUndo.set(id, u);
    }
    return u.um;
  }

  /** End the current run of typing in `id`: the next keystroke starts a new undo step. */
  closeTextStep(id: string): void {
    this.textUndo.get(id)?.um.stopCapturing();
  }

  /**
   * Undo (or redo) this person's last step of typing in `id`, at text level: characters others
   * typed since stay. False when nothing of that step is left to undo (others deleted it, or the
   * text was reloaded); throws OpError when the node is gone.
   */
  undoText(id: string, redo = false): boolean {
    const n = this.view?.get(id);
    if (!n) throw new OpError("not_found", "no such node");
    if (n.deleted) throw new OpError("deleted", "the node is deleted");
    const u = this.textUndo.get(id);
    if (!u || u.doc !== this.view!.textDoc(id)) return false;
    const before = textOf(u.doc);
    const item = redo ? u.um.redo() : u.um.undo();
    if (item === null && textOf(u.doc) === before) return false;
    this.localTextChanged(id);
    return true;
  }

  /**
   * Take over the unsent ops of an earlier page of this client (the outbox, core/outbox.ts),
   * before the tree is loaded: they are applied to the view like any pending op and resent
   * with their numbers after the hello, so the server answers those it has as duplicates.
   */
  adopt(clientId: string, n: number, ops: { n: number; op: Op }[]): void {
    if (this.view || this.connected || this.pending.length) throw new Error("adopt before the tree is loaded");
    this.clientId = clientId;
    this.n = Math.max(n, ...ops.map((o) => o.n));
    for (const o of ops) this.pending.push({ n: o.n, op: o.op, groups: [], sentAt: null, ackSeq: null });
  }

  /** The highest op number used so far. */
  get opNumber(): number {
    return this.n;
  }

  /** Ops the server has not acknowledged yet, in order. */
  unsent(): { n: number; op: Op }[] {
    return this.pending.filter((p) => p.ackSeq === null).map((p) => ({ n: p.n, op: p.op }));
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
        this.hooks.onWelcome?.(msg.user, msg.role, this.conn);
        break;
      case "snapshot":
        this.loadSnapshot(msg.seq, msg.kind, msg.nodes);
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

  loadSnapshot(seq: number, kind: TreeKind, nodes: TreeNode[]): void {
    // Unconfirmed typing as the person saw it (base: the server's text it was typed on), in
    // case the snapshot's document was compacted since and it no longer merges (`retype`).
    const typing = new Map<string, { base: string; mine: string }>();
    for (const p of this.pending) {
      if (p.op.kind !== "text" || typing.has(p.op.id) || p.ackSeq !== null) continue;
      const mine = this.view?.get(p.op.id)?.text;
      const base = this.confirmed?.get(p.op.id)?.text;
      if (mine !== undefined && base !== undefined) typing.set(p.op.id, { base, mine });
    }
    this.kind = kind;
    this.confirmed = new TreeState(kind, nodes);
    this.lastSeq = seq;
    this.syncAskedAt = null;
    for (const s of [...this.buffer.keys()]) if (s <= seq) this.buffer.delete(s);
    // Ops acknowledged at or before the snapshot are in it already.
    this.pending = this.pending.filter((p) => p.ackSeq === null || p.ackSeq > seq);
    this.rebuildView();
    for (const [id, t] of typing) this.retype(id, t.base, t.mine);
    this.hooks.onReset?.();
    this.hooks.onPendingChange?.(this.pending.length);
    this.drain();
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
          if (this.now() - w.at <= REPLACED_WINDOW_MS && !sameValue(w.value, lo.op.value))
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
      if (i >= 0) this.finish(i, out);
    }
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

  /**
   * The server compacted node `id`'s text document (`confirmed` holds the new one): start the
   * view over from it and re-apply this person's unconfirmed typing as one minimal diff. Updates
   * in flight were made against the old document (the server refuses them): they are dropped,
   * and the diff carries what they held. The undo of typing before this point is gone.
   */
  private rebaseText(id: string, old: Y.Doc | null, out: Change[]): void {
    this.staleTexts.delete(id);
    const view = this.view!;
    // This person's unconfirmed edits, as positions in the text the compaction kept.
    const delta = old && view.get(id) ? pendingDelta(old, view.textDoc(id)) : null;
    view.resetText(this.confirmed!, id);
    const before = this.pending.length;
    this.pending = this.pending.filter((p) => !(p.op.kind === "text" && p.op.id === id));
    if (this.pending.length !== before) this.hooks.onPendingChange?.(this.pending.length);
    out.push({ id, group: "text" });
    if (delta && view.get(id)) {
      const doc = view.textDoc(id);
      doc.transact(() => doc.getText(ROOT).applyDelta(delta), REBASE);
      view.syncText(id);
      this.dirtyTexts.add(id);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        (this.hooks.schedule ?? queueMicrotask)(() => this.flushTexts());
      }
    }
  }

  /**
   * After a snapshot: typing in `id` made against a document the server has since compacted
   * cannot merge (its anchors are gone). Re-apply it as the person's edit of `base` where
   * that edit lands in the text now (the server's `merge_text` rule) and send that instead.
   */
  private retype(id: string, base: string, mine: string): void {
    const view = this.view!;
    const doc = view.get(id) && !view.get(id)!.deleted ? view.textDoc(id) : null;
    if (!doc || (doc.store.pendingStructs === null && doc.store.pendingDs === null)) return;
    this.pending = this.pending.filter((p) => !(p.op.kind === "text" && p.op.id === id && p.ackSeq === null));
    view.resetText(this.confirmed!, id);
    const merged = mergeText(base, mine, this.confirmed!.get(id)!.text);
    if (merged.length <= LIMITS.text && diffInto(view.textDoc(id), merged, REBASE)) {
      view.syncText(id);
      this.dirtyTexts.add(id);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        (this.hooks.schedule ?? queueMicrotask)(() => this.flushTexts());
      }
    }
  }

  /** Typing refused as `conflict` that catching up did not explain: dropped, as before. */
  private settleStaleTexts(): void {
    if (!this.staleTexts.size || !this.view || !this.confirmed) return;
    const out: Change[] = [];
    for (const id of this.staleTexts) {
      this.dirtyTexts.delete(id);
      this.pending = this.pending.filter((q) => !(q.op.kind === "text" && q.op.id === id && q.ackSeq === null));
      this.view.resetText(this.confirmed, id);
      out.push({ id, group: "text" });
      this.hooks.onReject?.({ kind: "text", id, update: "" }, "conflict", "the text could not be merged; reloaded");
    }
    this.staleTexts.clear();
    this.hooks.onPendingChange?.(this.pending.length);
    this.hooks.onChanges?.(out, true);
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
      // compaction, it is dropped like any refused update (`settleStaleTexts`).
      const id = p.op.id;
      this.pending = this.pending.filter((q) => !(q.op.kind === "text" && q.op.id === id && q.ackSeq === null));
      this.staleTexts.add(id);
      this.askSync();
      this.hooks.onPendingChange?.(this.pending.length);
      if (out.length) this.hooks.onChanges?.(out, true);
      return;
    }
    if (p.op.kind === "text") {
      // The text update was refused (too long, node deleted...): this person's unconfirmed
      // typing in that node goes, and so do the later updates carrying it.
      const id = p.op.id;
      const typed = this.view!.get(id)?.text;
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
