/**
 * Client core, DOM-free: undo/redo of the user's own edits. Undo never rewinds local state: it
 * sends the inverse operations through the server like any other edit, so collaborators see it
 * and the server's rules still apply (an undo that no longer fits is rejected, not forced).
 *
 * Own-only (docs/protocol.md, "Undo"): a structural step (create, move, type change, delete,
 * restore, link, a note or tags) is undone only while nobody else has written that field of
 * that node since. Otherwise the step is skipped (the `onStale` hook names whose change it would
 * have reverted) and the press goes on to this person's previous step, as Google Docs does. The
 * inverse op carries `if_seq` (the seq of the write it undoes), so the server refuses it as
 * `stale` if someone's write reached the server first. Typing is undone by Yjs (own chars only).
 */
import type { TreeState } from "./state";
import { type Op, OpError } from "./types";

/** One write of a field group of a node, as the server logged it. */
export interface WriteInfo {
  seq: number;
  actor: number | null;
  /** The client that sent it ("" when unknown, e.g. loaded with a snapshot). */
  clientId: string;
  n: number;
}

/** What the undo manager needs to know about the server's order (the sync engine). */
export interface UndoGuard {
  readonly clientId: string;
  /** The number of the op this client submitted last. */
  readonly opNumber: number;
  /** The seq the server gave this client's op `n`; null while it has not answered. */
  seqOf(n: number): number | null;
  /** The last write of `group` of node `id` the server confirmed (null: none known). */
  lastWrite(id: string, group: string): WriteInfo | null;
  /** The write this client's op `n` replaced in `group` of `id` (undefined: not known yet). */
  prevOf(n: number, id: string, group: string): WriteInfo | null | undefined;
}

/** The field group an op writes (the one whose later writes by others make its undo stale). */
export function writtenGroup(op: Op): string {
  switch (op.kind) {
    case "set":
      return op.field;
    case "text":
      return "text";
    case "delete":
    case "restore":
      return "deleted";
    default:
      return "position";
  }
}

/** A step skipped because `write` (someone else's) came after it on node `id`. */
export interface StaleInfo {
  id: string;
  group: string;
  write: WriteInfo;
  redo: boolean;
}

/** The ops that undo `op`, computed against the state *before* `op` is applied. */
export function invert(op: Op, state: TreeState): Op[] {
  const node = state.get(op.id);
  switch (op.kind) {
    case "create":
      return [{ kind: "delete", id: op.id }];
    case "set":
      if (!node) throw new OpError("not_found", "no such node");
      return [{ kind: "set", id: op.id, field: op.field, value: copy(node[op.field]) }];
    case "move": {
      if (!node) throw new OpError("not_found", "no such node");
      const back: Op = { kind: "move", id: op.id, parent: node.parent, key: node.key };
      if (op.type !== undefined && op.type !== node.type) back.type = node.type;
      return [back];
    }
    case "delete":
      return [{ kind: "restore", id: op.id }];
    case "restore":
      return [{ kind: "delete", id: op.id }];
    case "link":
      return [{ kind: "unlink", id: op.id, parent: op.parent }];
    case "unlink":
      return [{ kind: "link", id: op.id, parent: op.parent }];
    case "text":
      // Typing is undone by the person's own Y.UndoManager (see `UndoManager.textEdited`).
      return [];
  }
}

function copy<T>(v: T): T {
  return Array.isArray(v) ? ([...v] as T) : v;
}

export interface UndoEntry {
  /** Ops to submit, in order. */
  ops: Op[];
  /** Consecutive edits with the same key merge into one entry. */
  coalesce?: string;
  /** A run of this person's typing in this node, undone at text level (not `ops`). */
  text?: string;
  /** The run of typing is still going on (more keystrokes join this step). */
  open?: boolean;
  /** `id|group` -> the number of this client's op whose write this entry reverts. */
  guards?: Map<string, number>;
  /** Inverse op -> the `id|group` key of `guards` it reverts. */
  guardOf?: Map<Op, string>;
  /** Keys of `guards` checked here only, never sent as `if_seq` (the fields of a created node:
   * this person's own typing there may still be in flight). */
  soft?: Set<string>;
  /** Nodes this entry's undo deletes because it created them: their subtrees are checked. */
  creates?: Set<string>;
}

/** Text-level undo of one node (the sync engine's per-person Y.UndoManager). */
export interface TextUndo {
  /** Undo (redo) the last step of typing in `id`; false when nothing of it is left. */
  step(id: string, redo: boolean): boolean;
  /** The run of typing in `id` ended. */
  close(id: string): void;
}

/**
 * `submit` applies one op (optimistically, through the sync engine) and throws OpError when the
 * rules reject it; `state` is the state ops are applied to (the engine's view).
 */
export class UndoManager {
  private undoStack: UndoEntry[] = [];
  private redoStack: UndoEntry[] = [];
  limit = 500;
  /** A step was skipped: it would have reverted someone else's later change. */
  onStale?: (info: StaleInfo) => void;
  /** My undo op n -> the foreign write it put back (undoing it again would revert theirs). */
  private readonly standIn = new Map<number, WriteInfo>();

  constructor(
    private readonly submit: (op: Op) => void,
    private readonly state: () => TreeState,
    private readonly text?: TextUndo,
    private readonly guard?: UndoGuard,
  ) {}

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Perform a user edit (several ops = one undo step). Throws OpError if the first op fails. */
  edit(ops: Op[], coalesce?: string): void {
    this.closeTyping();
    const { inverse, error, guards, guardOf, soft, creates } = this.perform(ops);
    if (!inverse.length) {
      if (error) throw error;
      return;
    }
    const top = this.undoStack[this.undoStack.length - 1];
    if (coalesce && top && top.coalesce === coalesce) {
      // Keep the oldest inverse: undo goes back to before the first keystroke; its guard is
      // the newest write (the state the undo reverts is after the last keystroke).
      top.ops = [...inverse, ...top.ops].filter((o, i, all) => !isShadowed(o, i, all));
      top.guards = new Map([...(top.guards ?? []), ...guards]);
      top.guardOf = new Map([...(top.guardOf ?? []), ...guardOf]);
      top.soft = new Set([...(top.soft ?? []), ...soft]);
      top.creates = new Set([...(top.creates ?? []), ...creates]);
    } else {
      this.undoStack.push({ ops: inverse, coalesce, guards, guardOf, soft, creates });
      if (this.undoStack.length > this.limit) this.undoStack.shift();
    }
    this.redoStack = [];
    if (error) throw error;
  }

  /**
   * This person typed in node `id` (already applied by the engine): the first keystroke of a
   * run opens one undo step; the rest join it until `seal` or another edit closes it.
   */
  textEdited(id: string): void {
    const top = this.undoStack[this.undoStack.length - 1];
    if (top && top.text === id && top.open) return;
    this.closeTyping();
    this.undoStack.push({ ops: [], text: id, open: true });
    if (this.undoStack.length > this.limit) this.undoStack.shift();
    this.redoStack = [];
  }

  private closeTyping(): void {
    const top = this.undoStack[this.undoStack.length - 1];
    if (top?.text && top.open) {
      top.open = false;
      this.text?.close(top.text);
    }
  }

  /** Close the current run (e.g. the editor lost focus, Esc, another node). */
  seal(): void {
    this.closeTyping();
    const top = this.undoStack[this.undoStack.length - 1];
    if (top) top.coalesce = undefined;
  }

  /** Undo the last step. Returns false if there was nothing to undo; throws OpError on rejection. */
  undo(): boolean {
    return this.step(this.undoStack, this.redoStack);
  }

  redo(): boolean {
    return this.step(this.redoStack, this.undoStack);
  }

  private step(from: UndoEntry[], to: UndoEntry[]): boolean {
    this.closeTyping();
    const redo = from === this.redoStack;
    let entry = from.pop();
    if (!entry) return false;
    let ifSeq = this.check(entry, redo);
    while (ifSeq === null) {
      // Skipped (told by onStale): go on to this person's previous step.
      entry = from.pop();
      if (!entry) return true;
      ifSeq = this.check(entry, redo);
    }
    if (entry.text !== undefined) {
      const id = entry.text;
      if (!this.text?.step(id, from === this.redoStack))
        throw new OpError("gone", "others have since changed or removed that text");
      this.text.close(id);
      to.push({ ops: [], text: id });
      return true;
    }
    const ops = entry.ops.map((op) => {
      const key = entry.guardOf?.get(op);
      const seq = key === undefined ? undefined : ifSeq.get(key);
      return seq === undefined ? op : { ...op, if_seq: { [key!.slice(key!.indexOf("|") + 1)]: seq } };
    });
    const { inverse, error, guards, guardOf, sent, soft } = this.perform(ops);
    const numbers = new Map<string, number>();
    sent.forEach((n, i) => {
      const key = entry.guardOf?.get(entry.ops[i]);
      if (key !== undefined) numbers.set(key, n);
    });
    this.noteStandIns(entry, numbers);
    if (inverse.length) to.push({ ops: inverse, guards, guardOf, soft });
    if (error) throw error;
    return true;
  }

  /**
   * Whether `entry` may be undone (redone): for each write it reverts, the seq the server must
   * still have as that field's last write (`if_seq`); null when someone else wrote it since
   * (the step is skipped and `onStale` told).
   */
  private check(entry: UndoEntry, redo: boolean): Map<string, number> | null {
    const out = new Map<string, number>();
    const g = this.guard;
    if (!g || !entry.guards) return out;
    // Undoing a create deletes the node's subtree: not if others have written anything there.
    for (const id of entry.creates ?? []) {
      const foreign = this.foreignWrite(id);
      if (foreign) {
        this.onStale?.({ ...foreign, redo });
        return null;
      }
    }
    for (const [key, n] of entry.guards) {
      const bar = key.indexOf("|");
      const id = key.slice(0, bar);
      const group = key.slice(bar + 1);
      const soft = entry.soft?.has(key) ?? false;
      if (group === "text" && !soft) continue; // merged character by character, never guarded
      const mine = g.seqOf(n);
      // Not answered yet: the server orders this undo after it; nothing to compare with.
      if (mine === null) continue;
      const last = g.lastWrite(id, group);
      if (!last || last.seq <= mine) {
        if (!soft) out.set(key, mine);
        continue;
      }
      // A later write of mine (e.g. the undo of a later step) stands for what it put back.
      const write = last.clientId === g.clientId ? (this.standIn.get(last.n) ?? null) : last;
      if (write) {
        this.onStale?.({ id, group, write, redo });
        return null;
      }
      if (!soft) out.set(key, last.seq);
    }
    return out;
  }

  /** Someone else's write of a live descendant of `id` (the subtree a create's undo deletes). */
  private foreignWrite(id: string): { id: string; group: string; write: WriteInfo } | null {
    const g = this.guard!;
    const state = this.state();
    const stack = state.liveChildren(id).map((n) => n.id);
    while (stack.length) {
      const d = stack.pop()!;
      for (const group of ["position", "text", "note", "tags"]) {
        const last = g.lastWrite(d, group);
        if (!last) continue;
        const write = last.clientId === g.clientId ? (this.standIn.get(last.n) ?? null) : last;
        if (write) return { id: d, group, write };
      }
      stack.push(...state.liveChildren(d).map((n) => n.id));
    }
    return null;
  }

  /** An undo op that put back someone else's write stands for that write from now on. */
  private noteStandIns(entry: UndoEntry, numbers: Map<string, number>): void {
    const g = this.guard;
    if (!g || !entry.guards) return;
    for (const [key, n] of entry.guards) {
      const mine = numbers.get(key);
      if (mine === undefined || key.endsWith("|text")) continue;
      const bar = key.indexOf("|");
      const prev = g.prevOf(n, key.slice(0, bar), key.slice(bar + 1));
      if (!prev) continue;
      const stands = prev.clientId === g.clientId ? this.standIn.get(prev.n) : prev;
      if (stands) this.standIn.set(mine, stands);
    }
  }

  /**
   * Submit ops in order; returns the inverse ops (reversed) with their guards (the numbers of
   * the ops they revert). Stops at the first rejection.
   */
  private perform(ops: Op[]): {
    inverse: Op[];
    error: unknown;
    guards: Map<string, number>;
    guardOf: Map<Op, string>;
    sent: number[];
    soft: Set<string>;
    creates: Set<string>;
  } {
    const inverse: Op[] = [];
    const guards = new Map<string, number>();
    const guardOf = new Map<Op, string>();
    const soft = new Set<string>();
    const creates = new Set<string>();
    // The number of each op of `ops` submitted, in order.
    const sent: number[] = [];
    let error: unknown = null;
    for (const op of ops) {
      try {
        const inv = invert(op, this.state());
        this.submit(op);
        inverse.push(...inv);
        if (this.guard) {
          const key = `${op.id}|${writtenGroup(op)}`;
          const n = this.guard.opNumber;
          guards.set(key, n);
          for (const o of inv) guardOf.set(o, key);
          sent.push(n);
          if (op.kind === "create") {
            // Undoing a create would take with it what others wrote into the node since.
            for (const f of ["text", "note", "tags"]) {
              guards.set(`${op.id}|${f}`, n);
              soft.add(`${op.id}|${f}`);
            }
            creates.add(op.id);
          }
        }
      } catch (e) {
        error = e;
        break;
      }
    }
    return { inverse: inverse.reverse(), error, guards, guardOf, sent, soft, creates };
  }
}

/** In a merged coalesced entry, a later `set` of the same field is shadowed by the first. */
function isShadowed(o: Op, i: number, all: Op[]): boolean {
  if (o.kind !== "set") return false;
  for (let j = i + 1; j < all.length; j++) {
    const p = all[j];
    if (p.kind === "set" && p.id === o.id && p.field === o.field) return true;
  }
  return false;
}
