/**
 * The keyboard-first outliner. It renders the sync engine's view once, then patches only the
 * rows an op touched (a 5,000-node tree is never re-rendered per op). Every edit goes through
 * `edit()`: the undo manager computes its inverse and the sync engine applies and sends it.
 */
import { allowedUnder, childTypeFor, TYPE_INFO, typeForMove, typesOf } from "../core/grammar";
import type { TreeState } from "../core/state";
import type { SyncEngine } from "../core/sync";
import { UndoManager } from "../core/undo";
import { mapCaret } from "../core/ytext";
import { type Change, type NodeType, type Op, OpError, type TreeNode } from "../core/types";
import { h, initials, on, toast, userColor } from "./dom";

interface Row {
  li: HTMLLIElement;
  row: HTMLDivElement;
  toggle: HTMLButtonElement;
  bullet: HTMLSpanElement;
  label: HTMLSpanElement;
  text: HTMLDivElement;
  /** Created when first needed: most rows have no tags, badges or presence. */
  tags: HTMLSpanElement | null;
  badges: HTMLSpanElement | null;
  who: HTMLSpanElement | null;
  ul: HTMLUListElement;
  /** Rows in this subtree when it was built (for the placeholder height). */
  size: number;
}

export interface Filter {
  text: string;
  type: NodeType | "";
  tag: string;
  unpatched: boolean;
  /** An extra condition (e.g. "broken proposals", from the analysis code). */
  extra?: ((n: TreeNode) => boolean) | null;
}

export interface OutlinerHooks {
  onFocusNode(id: string | null, editing: boolean): void;
  onZoom(id: string | null): void;
  userName(id: number | null): string;
  /** A badge shown with the row's badges (the survival badge of game-tree nodes). */
  badge?(n: TreeNode): HTMLElement | null;
  /** A key changed the text of this node (presence shows who is typing where). */
  onTyping?(id: string): void;
  /** Typed text was turned into an op, or found unchanged (the status can say "Saved"). */
  onDraftSettled?(): void;
}

/** Rows built before the first paint, then per task while the rest of a big tree renders. */
const FIRST_CHUNK_ROWS = 150;
const CHUNK_ROWS = 600;

export class Outliner {
  readonly el: HTMLUListElement;
  readonly undo: UndoManager;
  private rows = new Map<string, Row>();
  private collapsed: Set<string>;
  active: string | null = null;
  zoom: string | null = null;
  readOnly = false;
  filter: Filter = { text: "", type: "", tag: "", unpatched: false };
  private presenceByNode = new Map<string, { user: { id: number; username: string }; editing: boolean; typing: boolean }[]>();
  private dragId: string | null = null;
  private filterTimer: number | null = null;
  private chunkTimer: number | null = null;
  private pointerDown = false;
  /** node id -> extra parents under which a ghost row of it is rendered. */
  private ghostParents = new Map<string, Set<string>>();

  constructor(
    private readonly engine: SyncEngine,
    private readonly treeId: number,
    private readonly hooks: OutlinerHooks,
  ) {
    this.undo = new UndoManager(
      (op) => void this.engine.submit(op),
      () => this.engine.view!,
      { step: (id, redo) => this.engine.undoText(id, redo), close: (id) => this.engine.closeTextStep(id) },
    );
    this.collapsed = new Set(JSON.parse(localStorage.getItem(this.storeKey()) ?? "[]") as string[]);
    this.el = h("ul", { class: "tree", role: "tree", "aria-label": "Tree outline" });
    // Tab into the outline lands on the last active node (or the first one).
    this.el.tabIndex = 0;
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

  private get view(): TreeState {
    return this.engine.view!;
  }

  private storeKey(): string {
    return `gametree:collapsed:${this.treeId}`;
  }

  // ==================================================================== rendering

  /**
   * Build the whole visible tree (first load, snapshot, zoom). The first screenful is built at
   * once; the remaining top-level subtrees follow in small tasks so the page is interactive at
   * once even with 5,000 nodes. `onComplete` runs when everything is built.
   */
  renderAll(onComplete?: () => void): void {
    if (this.chunkTimer !== null) clearTimeout(this.chunkTimer);
    this.chunkTimer = null;
    this.rows.clear();
    this.ghostParents.clear();
    this.el.replaceChildren();
    const seen = new Set<string>();
    const step = (budget: number) => {
      let built = 0;
      for (const n of this.view.liveChildren(this.zoom)) {
        if (built >= budget) break;
        if (this.rows.has(n.id)) continue;
        const r = this.build(n, this.baseLevel(), seen);
        built += r.size;
        this.el.insertBefore(r.li, this.nextRenderedSibling(n)?.li ?? null);
      }
      if (built >= budget) {
        this.chunkTimer = window.setTimeout(() => step(CHUNK_ROWS), 0);
        return;
      }
      this.chunkTimer = null;
      this.renderPresence();
      if (this.isFiltering()) this.applyFilter();
      this.updateEmptyHint();
      onComplete?.();
    };
    step(FIRST_CHUNK_ROWS);
    this.updateEmptyHint();
    if (this.active && !this.rows.has(this.active)) this.active = null;
  }

  /** True while top-level subtrees are still being built after `renderAll`. */
  get rendering(): boolean {
    return this.chunkTimer !== null;
  }

  private updateEmptyHint(): void {
    const empty = this.el.querySelector(":scope > .empty-hint");
    const any = this.el.querySelector(":scope > li.node") !== null || this.rendering;
    if (any && empty) empty.remove();
    else if (!any && !empty) this.el.append(this.emptyHint());
  }

  private baseLevel(): number {
    return 1;
  }

  private emptyHint(): HTMLLIElement {
    const kind = this.view.kind;
    const li = h("li", { class: "empty-hint", role: "none" });
    const b = h("button", {
      type: "button",
      class: "primary",
      text: kind === "game" ? "Add the first proposal" : "Add the first problem",
    });
    on(b, "click", () => this.addFirst());
    if (this.readOnly) b.disabled = true;
    li.append(h("p", { text: "Nothing here yet." }), b);
    return li;
  }

  addFirst(): void {
    const parent = this.zoom;
    const pType = parent ? this.view.get(parent)!.type : null;
    const id = crypto.randomUUID();
    this.edit([
      { kind: "create", id, type: childTypeFor(this.view.kind, pType), parent, key: this.view.keyAt(parent, this.view.liveChildren(parent).length) },
    ]);
    this.focusNode(id, "end");
  }

  private build(n: TreeNode, level: number, seen: Set<string>): Row {
    const r = this.makeRow(n, level);
    this.rows.set(n.id, r);
    seen.add(n.id);
    const kids = this.view.liveChildren(n.id);
    let size = 1;
    if (kids.length) {
      const frag = document.createDocumentFragment();
      for (const c of kids) {
        if (seen.has(c.id)) continue;
        const cr = this.build(c, level + 1, seen);
        size += cr.size;
        frag.append(cr.li);
      }
      r.ul.append(frag);
    }
    r.size = size;
    if (this.view.kind === "problem") this.fillGhosts(n.id, r, level + 1);
    // Off-screen subtrees skip layout and paint (content-visibility: auto in the CSS); this
    // is their placeholder height until they have been rendered once.
    if (size > 1) r.li.style.setProperty("contain-intrinsic-size", `auto ${size * 32}px`);
    this.updateExpander(n.id, r);
    return r;
  }

  private makeRow(n: TreeNode, level: number): Row {
    const info = TYPE_INFO[n.type];
    const li = document.createElement("li");
    li.className = `node t-${n.type}`;
    li.dataset.id = n.id;
    li.setAttribute("role", "treeitem");
    li.setAttribute("aria-level", String(level));
    li.setAttribute("aria-selected", "false");
    const row = document.createElement("div");
    row.className = "row";
    const toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "toggle";
    toggle.tabIndex = -1;
    toggle.setAttribute("aria-hidden", "true");
    const bullet = document.createElement("span");
    bullet.className = "bullet";
    bullet.draggable = !this.readOnly;
    bullet.title = "Drag to move · click to zoom in";
    bullet.textContent = info.icon;
    const label = document.createElement("span");
    label.className = "tlabel";
    label.textContent = info.label;
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = n.text;
    text.dataset.placeholder = info.label + "…";
    text.setAttribute("aria-label", `${info.label}: ${n.text}`);
    text.spellcheck = true;
    row.append(toggle, bullet, label, text);
    const ul = document.createElement("ul");
    ul.setAttribute("role", "group");
    li.append(row, ul);
    const r: Row = { li, row, toggle, bullet, label, text, tags: null, badges: null, who: null, ul, size: 1 };
    this.fillTags(r, n);
    this.fillBadges(r, n);
    return r;
  }

  /** The row's tags/badges/who span, created in its fixed place on first use. */
  private slot(r: Row, name: "tags" | "badges" | "who"): HTMLSpanElement {
    let el = r[name];
    if (!el) {
      el = document.createElement("span");
      el.className = name;
      r[name] = el;
      const order = [r.tags, r.badges, r.who];
      const after = order.slice(order.indexOf(el) + 1).find((x) => x !== null) ?? null;
      r.row.insertBefore(el, after);
    }
    return el;
  }

  private fillTags(r: Row, n: TreeNode): void {
    if (!n.tags.length && !r.tags) return;
    this.slot(r, "tags").replaceChildren(...n.tags.map((t) => h("span", { class: "tag", text: `#${t}` })));
  }

  private fillBadges(r: Row, n: TreeNode): void {
    const extra = this.hooks.badge?.(n) ?? null;
    if (!n.note && !n.parents.length && !extra && !r.badges) return;
    const items: Node[] = [];
    if (extra) items.push(extra);
    if (n.note) items.push(h("span", { class: "badge note", title: n.note.slice(0, 300), text: "✎ note" }));
    if (n.parents.length)
      items.push(h("span", { class: "badge links", title: "Also under other problems", text: `⇄ ${n.parents.length + 1} parents` }));
    this.slot(r, "badges").replaceChildren(...items);
  }

  /** Re-render the badges of these rows (e.g. their survival changed). */
  refreshBadges(ids: Iterable<string>): void {
    for (const id of ids) {
      const r = this.rows.get(id);
      const n = this.view.get(id);
      if (r && n && !n.deleted) this.fillBadges(r, n);
    }
    if (this.isFiltering() && this.filter.extra) this.scheduleFilter();
  }

  // ------------------------------------------------------------ extra parents (problem DAGs)

  /**
   * Under each extra parent, a node is shown as a "ghost" row after the real children: a link
   * to where it really lives (its primary parent). Ghost rows are not tree nodes of their own.
   */
  private fillGhosts(parentId: string, r: Row, level: number): void {
    for (const g of r.ul.querySelectorAll(":scope > li.ghost")) g.remove();
    for (const c of this.view.linkedChildren(parentId)) {
      const li = h("li", { class: `ghost t-${c.type}`, role: "treeitem", "aria-level": level, "data-target": c.id });
      const go = h("button", { type: "button", class: "ghost-link", title: "Also here: go to where it lives" });
      go.append(h("span", { class: "ghost-icon", "aria-hidden": "true", text: "↪" }), " ", short(c.text, 120) || "(empty)");
      go.setAttribute("aria-label", `Also here: ${c.text}. Go to it`);
      on(go, "click", () => this.focusNode(c.id, "end"));
      li.append(go);
      r.ul.append(li);
      let set = this.ghostParents.get(c.id);
      if (!set) this.ghostParents.set(c.id, (set = new Set()));
      set.add(parentId);
    }
    this.updateExpander(parentId, r);
  }

  private refreshGhostsOf(id: string): void {
    if (this.view.kind !== "problem") return;
    const parents = new Set([...(this.ghostParents.get(id) ?? []), ...(this.view.get(id)?.parents ?? [])]);
    this.ghostParents.delete(id);
    for (const p of parents) {
      const r = this.rows.get(p);
      if (r) this.fillGhosts(p, r, Number(r.li.getAttribute("aria-level")) + 1);
    }
  }

  private updateExpander(id: string, r = this.rows.get(id)): void {
    if (!r) return;
    const has = r.ul.childElementCount > 0;
    const closed = has && this.collapsed.has(id);
    r.li.classList.toggle("collapsed", closed);
    r.li.classList.toggle("leaf", !has);
    if (has) r.li.setAttribute("aria-expanded", closed ? "false" : "true");
    else r.li.removeAttribute("aria-expanded");
    r.toggle.textContent = has ? (closed ? "▸" : "▾") : "";
  }

  /** Patch the DOM for the given changes (local or remote). */
  applyChanges(changes: Change[]): void {
    const touched = new Set<string>();
    const parentsToCheck = new Set<string>();
    for (const c of changes) {
      if (touched.has(`${c.id}|${c.group}`)) continue;
      touched.add(`${c.id}|${c.group}`);
      const n = this.view.get(c.id);
      const r = this.rows.get(c.id);
      switch (c.group) {
        case "text":
          if (r && n) {
            if (r.text.textContent !== n.text) this.setTextKeepingCaret(r.text, n.text);
            r.text.setAttribute("aria-label", `${TYPE_INFO[n.type].label}: ${n.text}`);
          }
          if (n?.parents.length) this.refreshGhostsOf(c.id);
          break;
        case "tags":
          if (r && n) this.fillTags(r, n);
          break;
        case "note":
        case "meta":
          if (r && n) this.fillBadges(r, n);
          break;
        case "parents":
          if (r && n) this.fillBadges(r, n);
          this.refreshGhostsOf(c.id);
          break;
        default: {
          const oldParent = r ? this.parentIdOf(r) : undefined;
          this.reconcile(c.id);
          if (c.group === "deleted" && (n?.parents.length || this.ghostParents.has(c.id))) this.refreshGhostsOf(c.id);
          if (oldParent) parentsToCheck.add(oldParent);
          if (n?.parent) parentsToCheck.add(n.parent);
        }
      }
    }
    for (const p of parentsToCheck) this.updateExpander(p);
    this.updateEmptyHint();
    if (this.isFiltering()) this.scheduleFilter();
  }

  private parentIdOf(r: Row): string | undefined {
    const p = r.li.parentElement?.closest("li.node") as HTMLLIElement | null;
    return p?.dataset.id;
  }

  private inScope(n: TreeNode): boolean {
    if (n.parent === this.zoom) return true;
    return n.parent !== null && this.rows.has(n.parent);
  }

  /** Make the DOM row of one node match the view: create, remove, move or retype it. */
  private reconcile(id: string): void {
    const n = this.view.get(id);
    const r = this.rows.get(id);
    if (!n || n.deleted || !this.inScope(n) || (n.parent && this.isInside(n.parent, id))) {
      if (r) this.removeRow(id, r);
      return;
    }
    const container = n.parent === this.zoom ? this.el : this.rows.get(n.parent!)!.ul;
    let row = r;
    if (!row) {
      row = this.build(n, this.levelOf(container), new Set());
    } else if (row.li.classList.contains(`t-${n.type}`) === false) {
      this.retype(row, n.type);
    }
    const next = this.nextRenderedSibling(n);
    const want = next ? next.li : null;
    if (row.li.parentElement !== container || row.li.nextElementSibling !== want) {
      const focused = row.li.contains(document.activeElement) ? (document.activeElement as HTMLElement) : null;
      const off = focused ? caretOffset(focused) : 0;
      container.insertBefore(row.li, want ?? container.querySelector(":scope > li.ghost"));
      this.relevel(row, this.levelOf(container));
      if (focused) {
        focused.focus({ preventScroll: true });
        if (focused.isContentEditable) placeCaret(focused, off);
      }
    }
  }

  private isInside(ancestorCandidate: string, id: string): boolean {
    // A transient cycle in the optimistic view: treat as out of scope.
    let cur: string | null = ancestorCandidate;
    const seen = new Set<string>();
    while (cur && !seen.has(cur)) {
      if (cur === id) return true;
      seen.add(cur);
      cur = this.view.get(cur)?.parent ?? null;
    }
    return false;
  }

  private levelOf(container: HTMLElement): number {
    if (container === this.el) return this.baseLevel();
    const li = container.parentElement as HTMLLIElement;
    return Number(li.getAttribute("aria-level")) + 1;
  }

  private relevel(r: Row, level: number): void {
    if (Number(r.li.getAttribute("aria-level")) === level) return;
    r.li.setAttribute("aria-level", String(level));
    for (const li of r.ul.querySelectorAll<HTMLLIElement>("li.node, li.ghost")) {
      let d = 0;
      for (let p = li.parentElement; p && p !== r.ul; p = p.parentElement) if (p.tagName === "UL") d++;
      li.setAttribute("aria-level", String(level + d + 1));
    }
  }

  private retype(r: Row, type: NodeType): void {
    r.li.className = r.li.className.replace(/\bt-\w+/, `t-${type}`);
    const info = TYPE_INFO[type];
    r.bullet.textContent = info.icon;
    r.label.textContent = info.label;
    r.text.dataset.placeholder = info.label + "…";
  }

  private nextRenderedSibling(n: TreeNode): Row | null {
    const ids = this.view.childIds(n.parent);
    let i = ids.indexOf(n.id);
    while (++i < ids.length) {
      const r = this.rows.get(ids[i]);
      if (r && !this.view.get(ids[i])!.deleted) return r;
    }
    return null;
  }

  private removeRow(id: string, r: Row): void {
    const parent = this.parentIdOf(r);
    for (const li of r.li.querySelectorAll<HTMLLIElement>("li.node")) this.rows.delete(li.dataset.id!);
    this.rows.delete(id);
    const hadFocus = r.li.contains(document.activeElement);
    r.li.remove();
    if (parent) this.updateExpander(parent);
    if (this.active && !this.rows.has(this.active)) {
      this.active = null;
      if (hadFocus) (parent ? this.focusNode(parent, "end") : this.el.focus());
    }
  }

  private setTextKeepingCaret(el: HTMLElement, text: string): void {
    const focused = document.activeElement === el;
    const old = el.textContent ?? "";
    const off = focused ? caretOffset(el) : 0;
    el.textContent = text;
    if (focused) placeCaret(el, mapCaret(old, text, off));
  }

  // ==================================================================== presence

  setPresence(
    all: Iterable<{ user: { id: number; username: string }; node: string | null; editing: boolean; typing?: boolean }>,
  ): void {
    const before = new Set(this.presenceByNode.keys());
    this.presenceByNode.clear();
    for (const p of all) {
      if (!p.node) continue;
      const list = this.presenceByNode.get(p.node) ?? [];
      const same = list.find((x) => x.user.id === p.user.id);
      if (!same) list.push({ user: p.user, editing: p.editing, typing: !!p.typing });
      else same.typing ||= !!p.typing;
      this.presenceByNode.set(p.node, list);
    }
    for (const id of new Set([...before, ...this.presenceByNode.keys()])) this.renderWho(id);
  }

  private renderPresence(): void {
    for (const id of this.presenceByNode.keys()) this.renderWho(id);
  }

  private renderWho(id: string): void {
    const r = this.rows.get(id);
    if (!r) return;
    const list = this.presenceByNode.get(id) ?? [];
    if (!list.length && !r.who) return;
    this.slot(r, "who").replaceChildren(
      ...list.map((p) => {
        const m = h("span", {
          class: p.typing ? "marker typing" : "marker",
          title: `${p.user.username} ${p.typing ? "is typing" : p.editing ? "is editing" : "is here"}`,
          text: p.user.username,
        });
        m.style.setProperty("--c", userColor(p.user.id));
        return m;
      }),
    );
    r.li.classList.toggle("has-presence", list.length > 0);
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

  private rowFromEvent(e: Event): { id: string; r: Row } | null {
    const t = e.target as HTMLElement;
    if (t.closest?.("li.ghost")) return null; // ghost rows handle their own clicks and keys
    const li = t.closest?.("li.node") as HTMLLIElement | null;
    if (!li || !this.el.contains(li)) return null;
    const r = this.rows.get(li.dataset.id!);
    return r ? { id: li.dataset.id!, r } : null;
  }

  private onMouseDown(e: MouseEvent): void {
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

  private onClick(e: MouseEvent): void {
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

  private onFocusIn(e: FocusEvent): void {
    const hit = this.rowFromEvent(e);
    if (hit && e.target === hit.r.text) this.setActive(hit.id);
  }

  private onFocusOut(e: FocusEvent): void {
    const hit = this.rowFromEvent(e);
    if (hit && e.target === hit.r.text) {
      this.flushDraft();
      this.undo.seal();
    }
  }

  /** Every keystroke goes out at once, merged character by character (docs/protocol.md). */
  private onInput(e: Event): void {
    const hit = this.rowFromEvent(e);
    if (!hit || e.target !== hit.r.text || this.readOnly) return;
    const n = this.view.get(hit.id);
    if (!n || n.deleted) return;
    let text = (hit.r.text.textContent ?? "").replace(/\n/g, " ");
    if (text.length > 2000) {
      text = text.slice(0, 2000);
      this.setTextKeepingCaret(hit.r.text, text);
      toast("Text is limited to 2,000 characters.", { kind: "warn" });
    }
    try {
      if (this.engine.editText(hit.id, text).length) this.undo.textEdited(hit.id);
    } catch (err) {
      if (err instanceof OpError) toast(explain(err.code, err.message), { kind: "error" });
      else throw err;
    }
    this.hooks.onTyping?.(hit.id);
  }

  private onPaste(e: ClipboardEvent): void {
    const hit = this.rowFromEvent(e);
    if (!hit || e.target !== hit.r.text) return;
    e.preventDefault();
    const text = (e.clipboardData?.getData("text/plain") ?? "").replace(/\s*\n\s*/g, " ");
    document.execCommand("insertText", false, text);
  }

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

  // ==================================================================== keyboard

  private visibleIds(): string[] {
    const out: string[] = [];
    for (const li of this.el.querySelectorAll<HTMLLIElement>("li.node")) {
      if (li.offsetParent !== null || li.getClientRects().length) out.push(li.dataset.id!);
    }
    return out;
  }

  private neighbour(id: string, dir: 1 | -1): string | null {
    // Walk the DOM order, skipping collapsed and filtered-out subtrees.
    const ids = this.visibleIds();
    const i = ids.indexOf(id);
    const j = i + dir;
    return i >= 0 && j >= 0 && j < ids.length ? ids[j] : null;
  }

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
    const clean = (t: string) => t.replace(/\n/g, " ").slice(0, 2000);
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

  private reorder(n: TreeNode, dir: -1 | 1): void {
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

  private onDragStart(e: DragEvent): void {
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

  private onDragOver(e: DragEvent): void {
    if (!this.dragId) return;
    const hit = this.rowFromEvent(e);
    if (!hit || hit.id === this.dragId) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
    const zone = this.dropZone(e, hit.r);
    this.clearDropMarks();
    hit.r.row.classList.add(`drop-${zone}`);
  }

  private clearDropMarks(e?: DragEvent): void {
    if (e && (e.relatedTarget as Node | null) && this.el.contains(e.relatedTarget as Node)) return;
    for (const el of this.el.querySelectorAll(".drop-before, .drop-after, .drop-inside"))
      el.classList.remove("drop-before", "drop-after", "drop-inside");
  }

  private onDrop(e: DragEvent): void {
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

  // ==================================================================== find

  isFiltering(): boolean {
    const f = this.filter;
    return !!(f.text || f.type || f.tag || f.unpatched || f.extra);
  }

  setFilter(f: Filter): number {
    this.filter = f;
    return this.applyFilter();
  }

  private scheduleFilter(): void {
    if (this.filterTimer !== null) return;
    this.filterTimer = window.setTimeout(() => {
      this.filterTimer = null;
      this.applyFilter();
    }, 150);
  }

  /** Show matching rows and their ancestors; returns the number of matches. */
  applyFilter(): number {
    const on = this.isFiltering();
    this.el.classList.toggle("filtering", on);
    for (const li of this.el.querySelectorAll("li.match, li.path")) li.classList.remove("match", "path");
    if (!on) return 0;
    const f = this.filter;
    const q = f.text.toLowerCase();
    let count = 0;
    for (const [id, r] of this.rows) {
      const n = this.view.get(id);
      if (!n) continue;
      if (q && !n.text.toLowerCase().includes(q) && !n.note.toLowerCase().includes(q)) continue;
      if (f.type && n.type !== f.type) continue;
      if (f.tag && !n.tags.includes(f.tag)) continue;
      if (f.unpatched && (n.type !== "critique" || this.view.liveChildren(id).some((c) => c.type === "patch"))) continue;
      if (f.extra && !f.extra(n)) continue;
      count++;
      r.li.classList.add("match");
      for (let p = r.li.parentElement?.closest("li.node"); p && this.el.contains(p); p = p.parentElement?.closest("li.node"))
        p.classList.add("path");
    }
    return count;
  }
}

// ====================================================================== helpers

export function explain(code: string, message: string): string {
  switch (code) {
    case "bad_parent_type":
      return "That type of node cannot go there.";
    case "cycle":
      return "A node cannot go inside itself.";
    case "deleted":
      return "Someone deleted that part of the tree.";
    case "not_found":
      return "That node no longer exists.";
    case "too_large":
      return "That is over the size limits.";
    case "forbidden":
      return "You do not have permission to edit this tree.";
    case "rate_limited":
      return "Too many edits at once; retrying.";
    default:
      return message || code;
  }
}

export function short(s: string, n = 40): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s || "(empty)";
}

export function caretOffset(el: HTMLElement): number {
  const sel = document.getSelection();
  if (!sel || sel.rangeCount === 0 || !el.contains(sel.anchorNode)) return 0;
  const range = sel.getRangeAt(0).cloneRange();
  range.selectNodeContents(el);
  range.setEnd(sel.getRangeAt(0).startContainer, sel.getRangeAt(0).startOffset);
  return range.toString().length;
}

/** Where the selection starts and ends inside `el`, in characters (both 0 without one). */
export function selectionOffsets(el: HTMLElement): [number, number] {
  const sel = document.getSelection();
  if (!sel || sel.rangeCount === 0 || !el.contains(sel.anchorNode)) return [0, 0];
  const r = sel.getRangeAt(0);
  const upTo = (node: Node, offset: number) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    range.setEnd(node, offset);
    return range.toString().length;
  };
  return [upTo(r.startContainer, r.startOffset), upTo(r.endContainer, r.endOffset)];
}

export function placeCaret(el: HTMLElement, offset: number): void {
  const sel = document.getSelection();
  if (!sel) return;
  const range = document.createRange();
  const node = el.firstChild;
  if (node && node.nodeType === Node.TEXT_NODE) {
    range.setStart(node, Math.min(offset, node.textContent!.length));
  } else {
    range.setStart(el, 0);
  }
  range.collapse(true);
  sel.removeAllRanges();
  sel.addRange(range);
}

export function nodeAuthor(n: TreeNode, name: (id: number | null) => string): string {
  return name(n.author);
}

export { initials };

