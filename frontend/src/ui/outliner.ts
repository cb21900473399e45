/**
 * The keyboard-first outliner. It renders the sync engine's view once, then patches only the
 * rows an op touched (a 5,000-node tree is never re-rendered per op). Every edit goes through
 * `edit()`: the undo manager computes its inverse and the sync engine applies and sends it.
 *
 * By concern: outliner-rows.ts (rendering, presence, find), outliner-edit.ts (focus, zoom,
 * text editing, undo), outliner-moves.ts (structural edits, drag and drop), outliner-text.ts
 * (helpers); this module wires the DOM events and handles the keyboard.
 */
import { typesOf } from "../core/grammar";
import type { SyncEngine } from "../core/sync";
import { initials, on, toast } from "./dom";
import { OutlinerMoves } from "./outliner-moves";
import type { OutlinerHooks } from "./outliner-rows";
import { selectionOffsets } from "./outliner-text";

export class Outliner extends OutlinerMoves {
  constructor(engine: SyncEngine, treeId: number, hooks: OutlinerHooks) {
    super(engine, treeId, hooks);
    on(this.el, "focus", () => {
      // A click: the click handler decides what gets focus.
      if (this.pointerDown || document.activeElement !== this.el) return;
      const id = this.active && this.rows.has(this.active) ? this.active : this.visibleIds()[0];
      if (id) this.focusNode(id, "end");
    });
    on(this.el, "keydown", (e) => this.onKey(e));
    on(this.el, "mousedown", (e) => this.onMouseDown(e));
    on(this.el, "click", (e) => this.onClick(e));
    on(this.el, "input", (e) => this.onInput(e));
    on(this.el, "focusin", (e) => this.onFocusIn(e));
    on(this.el, "focusout", (e) => this.onFocusOut(e));
    on(this.el, "paste", (e) => this.onPaste(e));
    on(this.el, "dragstart", (e) => this.onDragStart(e));
    on(this.el, "dragover", (e) => this.onDragOver(e));
    on(this.el, "dragleave", (e) => this.clearDropMarks(e));
    on(this.el, "drop", (e) => this.onDrop(e));
    on(this.el, "dragend", () => {
      this.dragId = null;
      this.clearDropMarks();
    });
  }

  // ==================================================================== keyboard
  private onKey(e: KeyboardEvent): void {
    const hit = this.rowFromEvent(e);
    if (!hit) return;
    const id = hit.id;
    const mod = e.ctrlKey || e.metaKey;
    const k = e.key;
    const n = this.view.get(id);
    if (!n) return;

    if (mod && !e.altKey && (k === "z" || k === "Z" || k === "y")) {
      e.preventDefault();
      this.undoRedo(k === "y" || e.shiftKey);
      return;
    }
    if (k === "ArrowUp" && !e.altKey && !mod) {
      e.preventDefault();
      const p = this.neighbour(id, -1);
      if (p) this.focusNode(p, "end");
      return;
    }
    if (k === "ArrowDown" && !e.altKey && !mod) {
      e.preventDefault();
      const p = this.neighbour(id, 1);
      if (p) this.focusNode(p, "end");
      return;
    }
    if (mod && (k === "ArrowUp" || k === "ArrowDown")) {
      e.preventDefault();
      this.setCollapsed(id, k === "ArrowUp");
      return;
    }
    if (mod && k === ".") {
      e.preventDefault();
      this.setCollapsed(id, !this.collapsed.has(id));
      return;
    }
    if (e.altKey && k === "ArrowRight") {
      e.preventDefault();
      this.setZoom(id);
      const first = this.view.liveChildren(id)[0];
      if (first) this.focusNode(first.id);
      return;
    }
    if (e.altKey && k === "ArrowLeft") {
      e.preventDefault();
      if (this.zoom) {
        const z = this.zoom;
        this.setZoom(this.view.get(z)?.parent ?? null);
        this.focusNode(z);
      }
      return;
    }
    if (k === "Tab" && e.target !== hit.r.text && !mod && !e.altKey) {
      // Not editing (after Esc): Tab leaves the outline. Otherwise Tab and Shift+Tab always
      // indent and outdent, and the keyboard could never reach the details or the header.
      e.preventDefault();
      this.leaveOutline(!e.shiftKey);
      return;
    }
    if (k === "Escape") {
      e.preventDefault();
      this.flushDraft();
      (e.target as HTMLElement).blur();
      hit.r.li.tabIndex = -1;
      hit.r.li.focus();
      return;
    }
    if (this.readOnly) return;
    if (e.altKey && (k === "ArrowUp" || k === "ArrowDown")) {
      e.preventDefault();
      this.flushDraft();
      this.reorder(n, k === "ArrowUp" ? -1 : 1);
      return;
    }
    if (k === "Enter" && !e.shiftKey && !mod) {
      e.preventDefault();
      const text = hit.r.text.textContent ?? "";
      const [start, end] = selectionOffsets(hit.r.text);
      if (start > 0 && end < text.length) {
        this.split(n, text, start, end);
        return;
      }
      this.flushDraft();
      this.newSibling(n, start === 0 && end < text.length);
      return;
    }
    // Ctrl+Shift+1/2/3: make it a proposal / critique / patch (by key code: Shift+digit is a
    // symbol on most layouts).
    const digit = /^Digit([1-9])$/.exec(e.code);
    if (mod && e.shiftKey && !e.altKey && digit) {
      e.preventDefault();
      this.flushDraft();
      const type = typesOf(this.view.kind)[Number(digit[1]) - 1];
      if (type) this.setType(n, type);
      else toast(`A ${this.view.kind} tree has ${typesOf(this.view.kind).length === 1 ? "one node type" : "no such type"}.`, { kind: "warn" });
      return;
    }
    if (k === "Enter") {
      e.preventDefault(); // no line breaks in a node
      return;
    }
    if (k === "Tab") {
      e.preventDefault();
      this.flushDraft();
      if (e.shiftKey) this.outdent(n);
      else this.indent(n);
      return;
    }
    if (k === "Backspace" && (hit.r.text.textContent ?? "") === "" && !mod) {
      e.preventDefault();
      this.flushDraft();
      if (this.view.liveChildren(id).length) {
        toast("Delete or move its children first (or use the Delete button).", { kind: "warn" });
        return;
      }
      const prev = this.neighbour(id, -1) ?? this.neighbour(id, 1);
      this.edit([{ kind: "delete", id }]);
      if (prev) this.focusNode(prev, "end");
      return;
    }
    if (mod && e.shiftKey && (k === "Backspace" || k === "Delete")) {
      e.preventDefault();
      this.deleteNode(id);
      return;
    }
  }

  /** Focus the first control after the outline (forward) or the last one before it. */
  private leaveOutline(forward: boolean): void {
    const sel = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
    const outside = [...document.querySelectorAll<HTMLElement>(sel)].filter(
      (x) => x !== this.el && !this.el.contains(x) && x.getClientRects().length > 0,
    );
    const side = forward ? Node.DOCUMENT_POSITION_FOLLOWING : Node.DOCUMENT_POSITION_PRECEDING;
    const candidates = outside.filter((x) => this.el.compareDocumentPosition(x) & side);
    (forward ? candidates[0] : candidates.at(-1))?.focus();
  }
}

export type { Filter, OutlinerHooks } from "./outliner-rows";
export { caretOffset, explain, nodeAuthor, placeCaret, selectionOffsets, short } from "./outliner-text";
export { initials };
