/**
 * The outliner's structural edits: new and split nodes, delete, type switch, indent, outdent,
 * reorder and drag and drop, each a move the grammar allows (or a toast saying why not).
 */
import { LIMITS } from "../generated/rules";
import { allowedUnder, childTypeFor, TYPE_INFO, typeForMove, typesOf } from "../core/grammar";
import type { PastedLine } from "../core/paste";
import { safeKeyBetween } from "../core/state";
import type { NodeType, Op, TreeNode } from "../core/types";
import { toast } from "./dom";
import { OutlinerEditing } from "./outliner-edit";
import type { Row } from "./outliner-rows";
import { short } from "./outliner-text";

export abstract class OutlinerMoves extends OutlinerEditing {
  protected dragId: string | null = null;

  deleteNode(id: string): void {
    this.flushDraft();
    const prev = this.neighbour(id, -1) ?? this.neighbour(id, 1);
    if (this.edit([{ kind: "delete", id }])) {
      const n = this.view.get(id);
      toast(`Deleted “${short(n?.text ?? "")}”.`, {
        actions: [{ label: "Undo", run: () => this.undoRedo(false) }],
      });
      if (prev) this.focusNode(prev, "end");
    }
  }

  newSibling(n: TreeNode, before = false): void {
    const id = crypto.randomUUID();
    const v = this.view;
    // On an expanded node with children, Enter at the end starts its first child (Workflowy).
    const kids = v.liveChildren(n.id);
    if (!before && kids.length && !this.collapsed.has(n.id) && n.id !== this.zoom) {
      const type = childTypeFor(v.kind, n.type);
      if (this.edit([{ kind: "create", id, type, parent: n.id, key: v.keyAt(n.id, 0) }])) this.focusNode(id, "end");
      return;
    }
    const sibs = v.liveChildren(n.parent);
    const i = sibs.findIndex((s) => s.id === n.id);
    const key = v.keyAt(n.parent, before ? i : i + 1);
    if (this.edit([{ kind: "create", id, type: n.type, parent: n.parent, key }])) {
      this.focusNode(before ? n.id : id, before ? "start" : "end");
    }
  }

  /**
   * Enter inside the text: the text before the caret stays, the text after it goes into a new
   * sibling below (a selection in between is removed), in one undo step.
   */
  split(n: TreeNode, text: string, start: number, end: number): void {
    const v = this.view;
    const clean = (t: string) => t.replace(/\n/g, " ").slice(0, LIMITS.text);
    const id = crypto.randomUUID();
    const sibs = v.liveChildren(n.parent);
    const key = v.keyAt(n.parent, sibs.findIndex((s) => s.id === n.id) + 1);
    const ops: Op[] = [
      { kind: "set", id: n.id, field: "text", value: clean(text.slice(0, start)) },
      { kind: "create", id, type: n.type, parent: n.parent, key, text: clean(text.slice(end)) },
    ];
    if (this.edit(ops)) this.focusNode(id, "start");
    queueMicrotask(() => this.hooks.onDraftSettled?.());
  }

  /**
   * Several lines pasted into a node: the first goes in at the caret, the others become nodes
   * after it, nested by their indentation (a bullet list from a document keeps its shape), in
   * one undo step. Each new node takes the type its place gives (a sibling the node's type, a
   * child the grammar's child type). `lines` fit the limits (core/paste.ts, `planPaste`).
   */
  pasteOutline(n: TreeNode, text: string, start: number, end: number, lines: PastedLine[]): void {
    const v = this.view;
    const ops: Op[] = [{ kind: "set", id: n.id, field: "text", value: text.slice(0, start) + lines[0].text + text.slice(end) }];
    // The open node at each depth (depth 0: the node pasted into) and the last key used under
    // each parent, so that each new node goes after the ones made before it.
    const open: { id: string; type: NodeType; parent: string | null }[] = [{ id: n.id, type: n.type, parent: n.parent }];
    const sibs = v.liveChildren(n.parent);
    const next = sibs[sibs.findIndex((x) => x.id === n.id) + 1]?.key ?? null;
    const lastKey = new Map<string | null, string | null>([[n.parent, n.key]]);
    let last = n.id;
    for (const line of lines.slice(1)) {
      const depth = Math.min(line.depth, open.length);
      open.length = Math.max(depth, 1);
      const id = crypto.randomUUID();
      let parent: string | null;
      let type: NodeType;
      if (depth === 0) {
        parent = n.parent;
        type = n.type;
      } else {
        const up = open[depth - 1];
        parent = up.id;
        type = childTypeFor(v.kind, up.type);
      }
      if (!lastKey.has(parent)) {
        const kids = parent === null ? v.liveChildren(null) : v.liveChildren(parent);
        lastKey.set(parent, kids.length ? kids[kids.length - 1].key : null);
      }
      const key = safeKeyBetween(lastKey.get(parent) ?? null, parent === n.parent ? next : null);
      lastKey.set(parent, key);
      ops.push({ kind: "create", id, type, parent, key, text: line.text });
      open[depth] = { id, type, parent };
      last = id;
    }
    if (this.edit(ops)) this.focusNode(last, "end");
    queueMicrotask(() => this.hooks.onDraftSettled?.());
  }

  /**
   * The explicit type switch (Ctrl+Shift+1/2/3, the type control of the details panel). In a
   * game tree a node's place decides its type, so a new type means a new place: a proposal
   * goes to the top level after its branch, a critique under the proposal above it (or, from
   * a patch, next to the critique it answered), a patch under the critique above it. Refused,
   * with the reason, when there is no such place or its children could not stay under it.
   */
  setType(n: TreeNode, type: NodeType): boolean {
    const v = this.view;
    if (type === n.type) return true;
    const label = (t: NodeType) => TYPE_INFO[t].label.toLowerCase();
    const refuse = (why: string) => {
      toast(`Cannot make it a ${label(type)}: ${why}`, { kind: "warn" });
      return false;
    };
    if (!typesOf(v.kind).includes(type)) return refuse(`a ${v.kind} tree has no ${label(type)}s.`);
    const kids = [...v.liveChildren(n.id), ...v.linkedChildren(n.id)];
    const misfit = kids.find((c) => !allowedUnder(v.kind, type, c.type));
    if (misfit) return refuse(`its ${label(misfit.type)}s could not stay under a ${label(type)}. Move them first.`);
    const sibs = v.liveChildren(n.parent);
    const above = sibs[sibs.findIndex((s) => s.id === n.id) - 1];
    const parent = n.parent ? v.get(n.parent) : undefined;
    const grand = parent?.parent ? v.get(parent.parent)! : null;
    const underAbove = above && allowedUnder(v.kind, above.type, type) ? above : null;
    const nextToParent = parent && allowedUnder(v.kind, grand?.type ?? null, type) ? parent : null;
    let target: { parent: string | null; key: string } | null = null;
    if (allowedUnder(v.kind, parent?.type ?? null, type)) {
      target = { parent: n.parent, key: n.key };
    } else if (type === "proposal") {
      let top = n;
      while (top.parent) top = v.get(top.parent)!;
      target = { parent: null, key: v.keyAfter(null, top.id, n.id) };
    } else if (nextToParent && (n.type === "patch" || !underAbove)) {
      // A patch made a critique criticises what its critique criticised: next to it.
      target = { parent: nextToParent.parent, key: v.keyAfter(nextToParent.parent, nextToParent.id, n.id) };
    } else if (underAbove) {
      target = { parent: underAbove.id, key: v.keyAt(underAbove.id, v.liveChildren(underAbove.id).length, n.id) };
    }
    if (!target) {
      const needs = type === "patch" ? "a critique" : "a proposal or a patch";
      return refuse(`a ${label(type)} goes under ${needs}, and there is none above it to put it under.`);
    }
    return this.moveTo(n, target.parent, target.key, type);
  }

  indent(n: TreeNode): void {
    const v = this.view;
    const sibs = v.liveChildren(n.parent);
    const i = sibs.findIndex((s) => s.id === n.id);
    if (i <= 0) {
      toast("Nothing above to indent under.", { kind: "warn" });
      return;
    }
    const newParent = sibs[i - 1];
    this.moveTo(n, newParent.id, v.keyAt(newParent.id, v.liveChildren(newParent.id).length, n.id));
  }

  outdent(n: TreeNode): void {
    const v = this.view;
    if (n.parent === null || n.parent === this.zoom) {
      toast("Already at the top level.", { kind: "warn" });
      return;
    }
    const parent = v.get(n.parent)!;
    this.moveTo(n, parent.parent, v.keyAfter(parent.parent, parent.id, n.id));
  }

  /**
   * Move a node under `parent` at `key`, changing its type as the grammar requires (or to
   * `want`). A type change is never silent: it is announced, with an undo.
   */
  moveTo(n: TreeNode, parent: string | null, key: string, want?: NodeType): boolean {
    const v = this.view;
    const pNode = parent ? v.get(parent)! : null;
    const pType = pNode ? pNode.type : null;
    const kids = [...v.liveChildren(n.id), ...v.linkedChildren(n.id)];
    const type = want ?? typeForMove(v.kind, pType, n.type, kids.map((c) => c.type));
    const where = pNode ? `under the ${pType} “${short(pNode.text)}”` : "at the top level";
    if (!type) {
      const as = allowedUnder(v.kind, pType, n.type) ? n.type : childTypeFor(v.kind, pType);
      const misfit = kids.find((c) => !allowedUnder(v.kind, as, c.type));
      const why = misfit
        ? `there it would have to be a ${as}, and its ${misfit.type}s cannot go under a ${as}.`
        : `a ${n.type} cannot go there.`;
      toast(`Not moved ${where}: ${why}`, { kind: "warn" });
      return false;
    }
    const op: Op = { kind: "move", id: n.id, parent, key };
    if (type !== n.type) op.type = type;
    // Before the edit: the view's node object is updated in place by it.
    const moved = n.parent !== parent;
    const retyped = type !== n.type;
    const ok = this.edit([op]);
    if (ok) {
      if (parent && this.collapsed.has(parent)) this.setCollapsed(parent, false);
      this.focusNode(n.id, "keep");
      if (retyped)
        toast(
          `“${short(n.text)}” is now a ${TYPE_INFO[type].label.toLowerCase()}${moved ? ` (${where})` : ""}.`,
          { actions: [{ label: "Undo", run: () => this.undoRedo(false) }] },
        );
    }
    return ok;
  }

  protected reorder(n: TreeNode, dir: -1 | 1): void {
    const v = this.view;
    const sibs = v.liveChildren(n.parent);
    const i = sibs.findIndex((s) => s.id === n.id);
    const j = i + dir;
    if (j < 0 || j >= sibs.length) return;
    // `j` is also the wanted index among the siblings without `n`.
    const key = v.keyAt(n.parent, j, n.id);
    if (this.edit([{ kind: "move", id: n.id, parent: n.parent, key }])) this.focusNode(n.id, "keep");
  }

  // ==================================================================== drag and drop

  protected onDragStart(e: DragEvent): void {
    const hit = this.rowFromEvent(e);
    if (!hit || this.readOnly || e.target !== hit.r.bullet) return;
    this.flushDraft();
    this.dragId = hit.id;
    e.dataTransfer?.setData("text/plain", hit.r.text.textContent ?? "");
    if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
    hit.r.li.classList.add("dragging");
  }

  private dropZone(e: DragEvent, r: Row): "before" | "after" | "inside" {
    const rect = r.row.getBoundingClientRect();
    const y = (e.clientY - rect.top) / Math.max(1, rect.height);
    return y < 0.25 ? "before" : y > 0.75 ? "after" : "inside";
  }

  protected onDragOver(e: DragEvent): void {
    if (!this.dragId) return;
    const hit = this.rowFromEvent(e);
    if (!hit || hit.id === this.dragId) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
    const zone = this.dropZone(e, hit.r);
    this.clearDropMarks();
    hit.r.row.classList.add(`drop-${zone}`);
  }

  protected clearDropMarks(e?: DragEvent): void {
    if (e && (e.relatedTarget as Node | null) && this.el.contains(e.relatedTarget as Node)) return;
    for (const el of this.el.querySelectorAll(".drop-before, .drop-after, .drop-inside"))
      el.classList.remove("drop-before", "drop-after", "drop-inside");
  }

  protected onDrop(e: DragEvent): void {
    const id = this.dragId;
    this.dragId = null;
    this.clearDropMarks();
    this.el.querySelector(".dragging")?.classList.remove("dragging");
    const hit = this.rowFromEvent(e);
    if (!id || !hit || hit.id === id) return;
    e.preventDefault();
    const v = this.view;
    const n = v.get(id);
    const target = v.get(hit.id);
    if (!n || !target) return;
    if (v.isAncestorOrSelf(id, target.id)) {
      toast("A node cannot go inside itself.", { kind: "warn" });
      return;
    }
    const zone = this.dropZone(e, hit.r);
    if (zone === "inside") {
      this.moveTo(n, target.id, v.keyAt(target.id, v.liveChildren(target.id).length, id));
    } else {
      const sibs = v.liveChildren(target.parent).filter((s) => s.id !== id);
      const i = sibs.findIndex((s) => s.id === target.id);
      this.moveTo(n, target.parent, v.keyAt(target.parent, zone === "before" ? i : i + 1, id));
    }
  }
}
