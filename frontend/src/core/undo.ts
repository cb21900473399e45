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
  }
}

function copy<T>(v: T): T {
  return Array.isArray(v) ? ([...v] as T) : v;
}

export interface UndoEntry {
  /** Ops to submit, in order. */
  ops: Op[];
  /** Consecutive edits with the same key merge into one entry (typing in one node). */
  coalesce?: string;
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
  ) {}

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }
  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /** Perform a user edit (several ops = one undo step). Throws OpError if the first op fails. */
  edit(ops: Op[], coalesce?: string): void {
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

  /** Close the current coalescing run (e.g. the editor lost focus). */
  seal(): void {
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
    const entry = from.pop();
    if (!entry) return false;
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
