/**
 * Client core, DOM-free: undo/redo of the user's own edits. Undo never rewinds local state: it
 * sends the inverse operations through the server like any other edit, so collaborators see it
 * and the server's rules still apply (an undo that no longer fits is rejected, not forced).
 */
import type { TreeState } from "./state";
import { type Op, OpError } from "./types";

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

  constructor(
    private readonly submit: (op: Op) => void,
    private readonly state: () => TreeState,
    private readonly text?: TextUndo,
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
    const { inverse, error } = this.perform(ops);
    if (!inverse.length) {
      if (error) throw error;
      return;
    }
    const top = this.undoStack[this.undoStack.length - 1];
    if (coalesce && top && top.coalesce === coalesce) {
      // Keep the oldest inverse: undo goes back to before the first keystroke.
      top.ops = [...inverse, ...top.ops].filter((o, i, all) => !isShadowed(o, i, all));
    } else {
      this.undoStack.push({ ops: inverse, coalesce });
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
    const entry = from.pop();
    if (!entry) return false;
    if (entry.text !== undefined) {
      const id = entry.text;
      if (!this.text?.step(id, from === this.redoStack))
        throw new OpError("gone", "others have since changed or removed that text");
      this.text.close(id);
      to.push({ ops: [], text: id });
      return true;
    }
    const { inverse, error } = this.perform(entry.ops);
    if (inverse.length) to.push({ ops: inverse });
    if (error) throw error;
    return true;
  }

  /** Submit ops in order; returns the inverse ops (reversed). Stops at the first rejection. */
  private perform(ops: Op[]): { inverse: Op[]; error: unknown } {
    const inverse: Op[] = [];
    for (const op of ops) {
      try {
        const inv = invert(op, this.state());
        this.submit(op);
        inverse.push(...inv);
      } catch (error) {
        return { inverse: inverse.reverse(), error };
      }
    }
    return { inverse: inverse.reverse(), error: null };
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
