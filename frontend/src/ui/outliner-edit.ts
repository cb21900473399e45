/** The outliner's focus, collapse, zoom and text editing: every edit goes through `edit()`. */
import { LIMITS } from "../generated/rules";
import { childTypeFor } from "../core/grammar";
import { longerThan } from "../core/node-rules";
import { noteWithPaste, type PastedLine, planPaste } from "../core/paste";
import { type Op, OpError, type TreeNode } from "../core/types";
import { toast } from "./dom";
import { OutlinerRows, type Row } from "./outliner-rows";
import { caretOffset, explain, placeCaret, selectionOffsets, short } from "./outliner-text";

export abstract class OutlinerEditing extends OutlinerRows {
  protected pointerDown = false;

  addFirst(): void {
    const parent = this.zoom;
    const pType = parent ? this.view.get(parent)!.type : null;
    const id = crypto.randomUUID();
    this.edit([
      { kind: "create", id, type: childTypeFor(this.view.kind, pType), parent, key: this.view.keyAt(parent, this.view.liveChildren(parent).length) },
    ]);
    this.focusNode(id, "end");
  }

  // ==================================================================== focus & editing

  focusNode(id: string, caret: "start" | "end" | "keep" = "end"): void {
    let r = this.rows.get(id);
    if (!r) {
      // Not rendered: inside a collapsed ancestor or outside the zoom.
      const n = this.view.get(id);
      if (!n || n.deleted) return;
      if (this.zoom && !this.view.isAncestorOrSelf(this.zoom, n.parent)) this.setZoom(null);
      r = this.rows.get(id);
      if (!r) return;
    }
    this.expandAncestors(id);
    // Focus the new row before the old one stops being editable, so focus never falls back.
    const el = r.text;
    if (!this.readOnly) el.contentEditable = "plaintext-only";
    else el.tabIndex = -1;
    if (document.activeElement !== el) el.focus({ preventScroll: true });
    this.setActive(id);
    if (caret === "end") placeCaret(el, el.textContent!.length);
    else if (caret === "start") placeCaret(el, 0);
    r.row.scrollIntoView({ block: "nearest" });
  }

  private setActive(id: string | null): void {
    if (this.active === id) return;
    const old = this.active ? this.rows.get(this.active) : null;
    if (old) {
      old.li.setAttribute("aria-selected", "false");
      old.li.classList.remove("active");
      old.text.removeAttribute("contenteditable");
      old.text.removeAttribute("tabindex");
    }
    this.active = id;
    const r = id ? this.rows.get(id) : null;
    if (r) {
      r.li.setAttribute("aria-selected", "true");
      r.li.classList.add("active");
    }
    this.hooks.onFocusNode(id, id !== null && !this.readOnly);
  }

  private expandAncestors(id: string): void {
    let p = this.view.get(id)?.parent ?? null;
    while (p && p !== this.zoom) {
      if (this.collapsed.has(p)) this.setCollapsed(p, false);
      p = this.view.get(p)?.parent ?? null;
    }
  }

  setCollapsed(id: string, closed: boolean): void {
    if (closed) this.collapsed.add(id);
    else this.collapsed.delete(id);
    localStorage.setItem(this.storeKey(), JSON.stringify([...this.collapsed]));
    this.updateExpander(id);
  }

  collapseAll(closed: boolean): void {
    for (const [id, r] of this.rows) {
      if (r.ul.childElementCount === 0) continue;
      if (closed) this.collapsed.add(id);
      else this.collapsed.delete(id);
      this.updateExpander(id, r);
    }
    localStorage.setItem(this.storeKey(), JSON.stringify([...this.collapsed]));
  }

  setZoom(id: string | null): void {
    this.flushDraft();
    this.zoom = id;
    this.renderAll();
    this.hooks.onZoom(id);
  }

  protected rowFromEvent(e: Event): { id: string; r: Row } | null {
    const t = e.target as HTMLElement;
    if (t.closest?.("li.ghost")) return null; // ghost rows handle their own clicks and keys
    const li = t.closest?.("li.node") as HTMLLIElement | null;
    if (!li || !this.el.contains(li)) return null;
    const r = this.rows.get(li.dataset.id!);
    return r ? { id: li.dataset.id!, r } : null;
  }

  protected onMouseDown(e: MouseEvent): void {
    this.pointerDown = true;
    window.setTimeout(() => (this.pointerDown = false), 0);
    const hit = this.rowFromEvent(e);
    if (!hit) return;
    const t = e.target as HTMLElement;
    if (t === hit.r.text && !this.readOnly) {
      // Make it editable before the browser places the caret at the click.
      hit.r.text.contentEditable = "plaintext-only";
    }
  }

  protected onClick(e: MouseEvent): void {
    const hit = this.rowFromEvent(e);
    if (!hit) return;
    const t = e.target as HTMLElement;
    if (t === hit.r.toggle) {
      this.setCollapsed(hit.id, !this.collapsed.has(hit.id));
      return;
    }
    if (t === hit.r.bullet) {
      this.setZoom(hit.id);
      return;
    }
    if (t === hit.r.text) {
      if (this.active !== hit.id) this.setActive(hit.id);
      return;
    }
    if (hit.r.row.contains(t)) this.focusNode(hit.id);
  }

  protected onFocusIn(e: FocusEvent): void {
    const hit = this.rowFromEvent(e);
    if (hit && e.target === hit.r.text) {
      this.setActive(hit.id);
      this.followTyping(hit.id);
    }
  }

  protected onFocusOut(e: FocusEvent): void {
    const hit = this.rowFromEvent(e);
    if (hit && e.target === hit.r.text) {
      this.flushDraft();
      this.undo.seal();
      this.followTyping(null);
    }
  }

  /** Every keystroke goes out at once, merged character by character (docs/protocol.md). */
  protected onInput(e: Event): void {
    const hit = this.rowFromEvent(e);
    if (!hit || e.target !== hit.r.text || this.readOnly) return;
    const n = this.view.get(hit.id);
    if (!n || n.deleted) return;
    let text = (hit.r.text.textContent ?? "").replace(/\n/g, " ");
    if (longerThan(text, LIMITS.text)) {
      // Over the limit (a drop, a long insertion): not cut short, taken back whole.
      text = n.text;
      this.setTextKeepingCaret(hit.r.text, text);
      toast(`Text is limited to ${LIMITS.text.toLocaleString("en")} characters: that was not added.`, { kind: "warn" });
    }
    try {
      const caret = document.activeElement === hit.r.text ? caretOffset(hit.r.text) : undefined;
      if (this.engine.editText(hit.id, text, caret).length) this.undo.textEdited(hit.id);
    } catch (err) {
      if (err instanceof OpError) toast(explain(err.code, err.message), { kind: "error" });
      else throw err;
    }
    this.hooks.onTyping?.(hit.id);
  }

  protected onPaste(e: ClipboardEvent): void {
    const hit = this.rowFromEvent(e);
    if (!hit || e.target !== hit.r.text) return;
    e.preventDefault();
    const pasted = e.clipboardData?.getData("text/plain") ?? "";
    const n = this.view.get(hit.id);
    if (!n || this.readOnly) return;
    // Several lines make several nodes (a list from a document keeps its shape); one line is
    // typed in at the caret like any text; a paste that would not fit is refused whole, never
    // cut short (core/paste.ts).
    const text = hit.r.text.textContent ?? "";
    const [start, end] = selectionOffsets(hit.r.text);
    const plan = planPaste(text.slice(0, start), text.slice(end), pasted, n.note);
    if (plan.kind === "refused") {
      const actions = plan.note === null ? [] : [{ label: "Paste into the note", run: () => this.pasteIntoNote(n.id, pasted) }];
      toast(plan.message, { kind: "warn", actions, ms: 15000 });
      return;
    }
    if (plan.kind === "outline") {
      this.flushDraft();
      this.pasteOutline(n, text, start, end, plan.lines);
      return;
    }
    document.execCommand("insertText", false, plan.text);
  }

  /** A paste refused in the text, added at the end of the node's note instead (one undo step). */
  private pasteIntoNote(id: string, pasted: string): void {
    const n = this.view.get(id);
    if (!n || n.deleted) return;
    const note = noteWithPaste(n.note, pasted);
    if (longerThan(note, LIMITS.note)) {
      toast(`The note would pass ${LIMITS.note.toLocaleString("en")} characters; nothing was added.`, { kind: "warn" });
      return;
    }
    if (this.edit([{ kind: "set", id, field: "note", value: note, base: n.note }]))
      toast(`Pasted into the note of “${short(n.text)}”.`);
  }

  /** Several pasted lines as nodes after `n` (outliner-moves.ts). */
  protected abstract pasteOutline(n: TreeNode, text: string, start: number, end: number, lines: PastedLine[]): void;

  /** Text typed but not yet turned into an op: none since every keystroke leaves at once
   * (the engine sends it in a microtask; the status counts it as unsent until acknowledged). */
  get hasDraft(): boolean {
    return false;
  }

  /** Send typed text not sent yet (it normally leaves with the keystroke already). */
  flushDraft(): void {
    this.engine.flushTexts();
    queueMicrotask(() => this.hooks.onDraftSettled?.());
  }

  /** Perform a user edit as one undo step; rejections become a message, not an exception. */
  edit(ops: Op[], coalesce?: string): boolean {
    if (this.readOnly) {
      toast("You can only view this tree.", { kind: "warn" });
      return false;
    }
    try {
      this.undo.edit(ops, coalesce);
      return true;
    } catch (e) {
      if (e instanceof OpError) toast(explain(e.code, e.message), { kind: "error" });
      else throw e;
      return false;
    }
  }

  undoRedo(redo: boolean): void {
    this.flushDraft();
    const keep = this.active;
    try {
      const did = redo ? this.undo.redo() : this.undo.undo();
      if (!did) toast(redo ? "Nothing to redo." : "Nothing to undo.");
    } catch (e) {
      if (e instanceof OpError) toast(`Cannot ${redo ? "redo" : "undo"}: ${explain(e.code, e.message)}`, { kind: "error" });
      else throw e;
    }
    if (keep && this.rows.has(keep)) this.focusNode(keep, "end");
  }

  protected visibleIds(): string[] {
    const out: string[] = [];
    for (const li of this.el.querySelectorAll<HTMLLIElement>("li.node")) {
      if (li.offsetParent !== null || li.getClientRects().length) out.push(li.dataset.id!);
    }
    return out;
  }

  protected neighbour(id: string, dir: 1 | -1): string | null {
    // Walk the DOM order, skipping collapsed and filtered-out subtrees.
    const ids = this.visibleIds();
    const i = ids.indexOf(id);
    const j = i + dir;
    return i >= 0 && j >= 0 && j < ids.length ? ids[j] : null;
  }
}
