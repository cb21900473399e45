/**
 * Client core, DOM-free: the text half of the sync engine (core/sync.ts, which extends it).
 * Typing is merged, not locked: each keystroke is a minimal edit of the node's local Y document,
 * sent at once as an update beyond what the server confirmed; undo of typing is this person's
 * own, at text level; after the server compacts a node's document, unconfirmed typing is
 * re-applied to the new one (docs/protocol.md, "Text").
 */
import * as Y from "yjs";
import { LIMITS, longerThan, type TreeState } from "./state";
import type { PendingOp, SyncHooks } from "./sync-types";
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
  /** Nodes whose typing was refused as `conflict`, waiting for the log to catch up. */
  protected readonly staleTexts = new Set<string>();

  constructor(protected readonly hooks: SyncHooks) {}

  /** Queue an op and send it (the engine's, with its op numbers and locks). */
  protected abstract enqueue(op: Op, groups: Change[]): void;

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
      this.enqueue({ kind: "text", id, update: updateBeyond(this.view!.textDoc(id), base) }, []);
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
   * After a snapshot: typing in `id` made against a document the server has since compacted
   * cannot merge (its anchors are gone). Re-apply it as the person's edit of `base` where
   * that edit lands in the text now (the server's `merge_text` rule) and send that instead.
   */
  protected retype(id: string, base: string, mine: string): void {
    const view = this.view!;
    const doc = view.get(id) && !view.get(id)!.deleted ? view.textDoc(id) : null;
    if (!doc || (doc.store.pendingStructs === null && doc.store.pendingDs === null)) return;
    this.pending = this.pending.filter((p) => !(p.op.kind === "text" && p.op.id === id && p.ackSeq === null));
    view.resetText(this.confirmed!, id);
    const merged = mergeText(base, mine, this.confirmed!.get(id)!.text);
    if (merged.length <= LIMITS.text && diffInto(view.textDoc(id), merged, REBASE)) {
      view.syncText(id);
      this.markTextDirty(id);
    }
  }

  /** Typing refused as `conflict` that catching up did not explain: dropped, as before. */
  protected settleStaleTexts(): void {
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
}
