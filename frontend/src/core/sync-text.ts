/**
 * Client core, DOM-free: the text half of the sync engine (core/sync.ts, which extends it).
 * Typing is merged, not locked: each keystroke is a minimal edit of the node's local Y document,
 * sent at once as an update beyond what the server confirmed; undo of typing is this person's
 * own, at text level; after the server compacts a node's document, unconfirmed typing is
 * re-applied to the new one, as Yjs edits where this page has the old document, else as text by
 * a three-way merge (typing taken over from the outbox, or after a snapshot): docs/protocol.md,
 * "Node text" and "Outbox".
 */
import * as Y from "yjs";
import { LIMITS, longerThan, type TreeState } from "./state";
import type { PendingOp, SyncHooks, Typing } from "./sync-types";
import type { Change, Op } from "./types";
import { OpError } from "./types";
import { diffInto, LOCAL, mergeText, pendingDelta, ROOT, textOf, updateBeyond } from "./ytext";

/** Transaction origin of re-applied typing after a compaction (not an undoable step). */
const REBASE = "rebase";

export abstract class TextSync {
  confirmed: TreeState | null = null;
  view: TreeState | null = null;
  pending: PendingOp[] = [];

  /** Nodes whose local text changed since the last send. */
  protected readonly dirtyTexts = new Set<string>();
  protected flushScheduled = false;
  /** node id -> this person's text undo manager (own changes only) on the view's document. */
  protected readonly textUndo = new Map<string, { doc: Y.Doc; um: Y.UndoManager }>();
  /**
   * Nodes whose typing was refused as `conflict`, waiting for the log to catch up, with that
   * typing as text (re-applied by `settleStaleTexts` if the catch-up brings no compaction).
   */
  protected readonly staleTexts = new Map<string, Typing>();
  /**
   * Unsent typing taken over from an earlier page (the outbox): the server's text it was typed
   * on and the text it made. Its Yjs updates no longer apply if the server compacted the node
   * meanwhile, and this page never had the document they were made on: the texts are what
   * can still be re-applied then.
   */
  protected readonly adoptedTyping = new Map<string, Typing>();
  /** node id -> the highest op number of adopted typing the server has applied. */
  private readonly appliedN = new Map<string, number>();

  constructor(protected readonly hooks: SyncHooks) {}

  /** Who deleted node `id` (as far as this client saw), or null. */
  abstract whoDeleted(id: string): number | null;

  /** Queue an op and send it (the engine's, with its op numbers and locks). */
  protected abstract enqueue(op: Op, groups: Change[], text?: string): void;

  /** `id`'s text changed here: send it with the next flush (soon, default a microtask). */
  protected markTextDirty(id: string): void {
    this.dirtyTexts.add(id);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      (this.hooks.schedule ?? queueMicrotask)(() => this.flushTexts());
    }
  }

  /**
   * The person typed: make the node's text `value` by a minimal edit of the local Y document
   * (undoable by them alone) and send the update at once. Throws OpError like `submit`.
   */
  /** `caret`: the caret in `value` after the edit, if known (places an ambiguous keystroke). */
  editText(id: string, value: string, caret?: number): Change[] {
    if (!this.view) throw new Error("the tree is not loaded yet");
    const n = this.view.get(id);
    if (!n) throw new OpError("not_found", "no such node");
    if (n.deleted) throw new OpError("deleted", "the node is deleted");
    if (longerThan(value, LIMITS.text)) throw new OpError("too_large", "text is too long");
    const doc = this.view.textDoc(id);
    this.undoFor(id);
    if (!diffInto(doc, value, LOCAL, caret)) return [];
    return this.localTextChanged(id);
  }

  protected localTextChanged(id: string): Change[] {
    this.view!.syncText(id);
    this.markTextDirty(id);
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
      this.enqueue({ kind: "text", id, update: updateBeyond(this.view!.textDoc(id), base) }, [], n.text);
    }
  }

  protected undoFor(id: string): Y.UndoManager {
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
   * The server compacted node `id`'s text document (`confirmed` holds the new one): start the
   * view over from it and re-apply this person's unconfirmed typing as one minimal diff. Updates
   * in flight were made against the old document (the server refuses them): they are dropped,
   * and the diff carries what they held. The undo of typing before this point is gone.
   */
  protected rebaseText(id: string, old: Y.Doc | null, out: Change[]): void {
    this.staleTexts.delete(id);
    const view = this.view!;
    const shown = view.get(id) ? view.textDoc(id) : null;
    if (shown && (shown.store.pendingStructs !== null || shown.store.pendingDs !== null)) {
      // Typing taken over from an earlier page, made on a document compacted before this one:
      // its updates never applied here, so there are no edits to take a delta of.
      const typing = this.typingIn(id);
      if (typing) {
        out.push({ id, group: "text" });
        if (!this.replay(id, typing)) this.unplaced(id, typing);
        return;
      }
    }
    this.adoptedTyping.delete(id);
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
      this.markTextDirty(id);
    }
  }

  /**
   * The server applied `p` (it answered, or the log holds it). If `p` carried typing taken
   * over as text (`adoptedTyping`), the server has that typing up to `p` now: what is left to
   * re-apply, should the later updates be refused, is the typing from `p`'s text on, so each
   * keystroke applies once. After the last such update nothing is left.
   */
  protected applied(p: PendingOp): void {
    if (p.op.kind !== "text" || !p.adopted) return;
    const id = p.op.id;
    const t = this.adoptedTyping.get(id);
    if (!t || p.n <= (this.appliedN.get(id) ?? 0)) return;
    this.appliedN.set(id, p.n);
    const later = this.pending.some((q) => q.adopted && q.n > p.n && q.ackSeq === null && q.op.kind === "text" && q.op.id === id);
    if (!later) this.adoptedTyping.delete(id);
    else if (p.text !== undefined) this.adoptedTyping.set(id, { base: p.text, local: t.local });
  }

  /**
   * After a snapshot, typing in `id` whose updates the server may have applied without this
   * page hearing of it: held as text like typing taken over from the outbox, until the answers
   * to those updates say how much of it the server has (`applied`); the rest is re-applied
   * when an update is refused (`settleStaleTexts`).
   */
  protected awaitAnswers(id: string, typing: Typing): void {
    const doc = this.view!.get(id) && !this.view!.get(id)!.deleted ? this.view!.textDoc(id) : null;
    if (!doc || (doc.store.pendingStructs === null && doc.store.pendingDs === null)) return;
    this.adoptedTyping.set(id, typing);
    for (const p of this.pending) if (p.op.kind === "text" && p.op.id === id && p.ackSeq === null) p.adopted = true;
  }

  /**
   * After a snapshot: typing in `id` made against a document the server has since compacted
   * cannot merge (its anchors are gone). Re-apply it as the person's edit of `base` where
   * that edit lands in the text now and send that instead.
   */
  protected retype(id: string, typing: Typing): void {
    const view = this.view!;
    const doc = view.get(id) && !view.get(id)!.deleted ? view.textDoc(id) : null;
    if (!doc || (doc.store.pendingStructs === null && doc.store.pendingDs === null)) return;
    this.replay(id, typing);
  }

  /**
   * Start `id`'s text over from the server's and re-apply `typing` on it by a three-way merge
   * (`mergeText`), sent as this person's next edit; its unconfirmed updates go. False when the
   * typing cannot be placed (the node is gone or deleted, or the result would be too long).
   */
  private replay(id: string, typing: Typing): boolean {
    const view = this.view!;
    const node = this.confirmed!.get(id);
    if (!node || node.deleted || !view.get(id)) return false;
    let merged = mergeText(typing.base, typing.local, node.text);
    // What was typed here since comes after it where both are at one place (mine first).
    if (typing.then) merged = mergeText(typing.then.base, merged, typing.then.local);
    if (longerThan(merged, LIMITS.text)) return false;
    this.dirtyTexts.delete(id);
    this.pending = this.pending.filter((p) => !(p.op.kind === "text" && p.op.id === id && p.ackSeq === null));
    this.adoptedTyping.delete(id);
    view.resetText(this.confirmed!, id);
    if (diffInto(view.textDoc(id), merged, REBASE)) {
      view.syncText(id);
      this.markTextDirty(id);
    }
    return true;
  }

  /**
   * This person's unconfirmed typing in `id` as text: the server's text it was typed on and the
   * text it made. For typing taken over from the outbox, its recorded texts (the view cannot
   * show updates made on a document compacted since), plus what was typed here since.
   */
  protected typingIn(id: string): Typing | null {
    const shown = this.view?.get(id)?.text;
    const server = this.serverText(id);
    if (shown === undefined || server === null) return this.adoptedTyping.get(id) ?? null;
    const adopted = this.adoptedTyping.get(id);
    if (!adopted) return { base: server, local: shown };
    return shown === server ? adopted : { ...adopted, then: { base: server, local: shown } };
  }

  /**
   * The server's text of `id` with this client's acknowledged typing not yet seen in the log
   * (it is on the server: it must not count as unsent). Updates carry all typing before them,
   * so that is the text the last acknowledged one was made with.
   */
  private serverText(id: string): string | null {
    const node = this.confirmed?.get(id);
    if (!node) return null;
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i];
      // (An adopted update's text was made on another document: it says nothing of this one.)
      if (p.ackSeq !== null && !p.adopted && p.op.kind === "text" && p.op.id === id && p.text !== undefined) return p.text;
    }
    return node.text;
  }

  /**
   * Unsent typing per node, as text (kept in the outbox next to its Yjs updates, so a later
   * page can re-apply it even if those updates no longer apply: docs/protocol.md, "Outbox").
   */
  unsentTyping(): Record<string, Typing> {
    const out: Record<string, Typing> = {};
    const ids = new Set<string>();
    for (const p of this.pending) if (p.op.kind === "text" && p.ackSeq === null) ids.add(p.op.id);
    for (const id of [...this.adoptedTyping.keys()]) if (!ids.has(id)) this.adoptedTyping.delete(id);
    const flat = (t: Typing): Typing => (t.then ? { base: t.base, local: typedText(t) } : t);
    for (const id of ids) {
      const t = this.typingIn(id);
      if (t) out[id] = flat(t);
    }
    // Refused, waiting to be re-applied: no op carries it any more.
    for (const [id, t] of this.staleTexts) out[id] = flat(t);
    return out;
  }

  /**
   * Typing refused as `conflict` that catching up did not explain by a compaction (the tree came
   * as a snapshot, or the typing was taken over from an earlier page after the compaction):
   * re-applied as text on the server's text now. Only typing that cannot be placed (its node
   * was deleted) is told, with the text, so it can be copied or the node restored with it.
   */
  protected settleStaleTexts(): void {
    if (!this.staleTexts.size || !this.view || !this.confirmed) return;
    const out: Change[] = [];
    for (const [id, typing] of this.staleTexts) {
      out.push({ id, group: "text" });
      if (!this.replay(id, typing)) this.unplaced(id, typing);
    }
    this.staleTexts.clear();
    this.hooks.onPendingChange?.(this.pending.length);
    this.hooks.onChanges?.(out, true);
  }

  /** Typing that cannot be placed goes from the node, and is told with its text. */
  private unplaced(id: string, typing: Typing): void {
    this.dirtyTexts.delete(id);
    this.adoptedTyping.delete(id);
    this.pending = this.pending.filter((q) => !(q.op.kind === "text" && q.op.id === id && q.ackSeq === null));
    if (this.view!.get(id) && this.confirmed!.get(id)) this.view!.resetText(this.confirmed!, id);
    const node = this.confirmed!.get(id);
    const kind = !node || node.deleted ? "edit-deleted" : "too-long";
    const actor = this.whoDeleted(id);
    const text = typedText(typing);
    queueMicrotask(() => this.hooks.onConflict?.({ kind, id, actor, text }));
  }
}

/** The text `typing` made (what was typed after it applied on top). */
export function typedText(t: Typing): string {
  return t.then ? mergeText(t.then.base, t.local, t.then.local) : t.local;
}
