/**
 * The outliner's rows: it renders the sync engine's view once, then patches only the rows an op
 * touched (a 5,000-node tree is never re-rendered per op). Also the presence markers on rows and
 * the find filter. Focus, editing, moves and keys are layered on top (outliner-edit.ts,
 * outliner-moves.ts, outliner.ts).
 */
import { TYPE_INFO } from "../core/grammar";
import type { TreeState } from "../core/state";
import { type Named, personName } from "../core/people";
import type { SyncEngine } from "../core/sync";
import { UndoManager } from "../core/undo";
import { mapCaret, mapCaretThrough } from "../core/ytext";
import type { Change, NodeType, TreeNode } from "../core/types";
import { h, on, toast, userColor } from "./dom";
import { caretOffset, placeCaret, short, staleMessage } from "./outliner-text";
import { RemoteTyping } from "./remote-typing";

export interface Row {
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

export abstract class OutlinerRows {
  readonly el: HTMLUListElement;
  readonly undo: UndoManager;
  protected rows = new Map<string, Row>();
  protected collapsed: Set<string>;
  active: string | null = null;
  zoom: string | null = null;
  readOnly = false;
  filter: Filter = { text: "", type: "", tag: "", unpatched: false };
  private presenceByNode = new Map<string, { user: { id: number } & Named; editing: boolean; typing: boolean }[]>();
  private filterTimer: number | null = null;
  private chunkTimer: number | null = null;
  /** node id -> extra parents under which a ghost row of it is rendered. */
  private ghostParents = new Map<string, Set<string>>();
  /** The others' typing in the node being edited (for its caret). */
  private readonly remoteTyping = new RemoteTyping();

  constructor(
    protected readonly engine: SyncEngine,
    protected readonly treeId: number,
    protected readonly hooks: OutlinerHooks,
  ) {
    this.undo = new UndoManager(
      (op) => void this.engine.submit(op),
      () => this.engine.view!,
      { step: (id, redo) => this.engine.undoText(id, redo), close: (id) => this.engine.closeTextStep(id) },
      this.engine,
    );
    this.undo.onStale = (info) =>
      toast(staleMessage(info, this.engine.view?.get(info.id), this.hooks.userName(info.write.actor)), { kind: "warn", ms: 8000 });
    this.collapsed = new Set(JSON.parse(localStorage.getItem(this.storeKey()) ?? "[]") as string[]);
    this.el = h("ul", { class: "tree", role: "tree", "aria-label": "Tree outline" });
    // Tab into the outline lands on the last active node (or the first one).
    this.el.tabIndex = 0;
  }

  /** Focus a node's row (outliner-edit.ts). */
  abstract focusNode(id: string, caret?: "start" | "end" | "keep"): void;

  /** Create the first node under the zoom (outliner-edit.ts). */
  abstract addFirst(): void;

  protected get view(): TreeState {
    return this.engine.view!;
  }

  protected storeKey(): string {
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

  protected build(n: TreeNode, level: number, seen: Set<string>): Row {
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

  protected updateExpander(id: string, r = this.rows.get(id)): void {
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
    // A screen reader reads the type from here: "Proposal: …" stayed after Tab made it a critique.
    r.text.setAttribute("aria-label", `${info.label}: ${r.text.textContent ?? ""}`);
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
      if (hadFocus) {
        if (parent) this.focusNode(parent, "end");
        else this.el.focus();
      }
    }
  }

  protected setTextKeepingCaret(el: HTMLElement, text: string): void {
    const focused = document.activeElement === el;
    const old = el.textContent ?? "";
    const off = focused ? caretOffset(el) : 0;
    el.textContent = text;
    if (!focused) return;
    placeCaret(el, mapCaretThrough(old, this.remoteTyping.take(), text, off) ?? mapCaret(old, text, off));
    // The document may have been replaced (a compaction, a reload): follow the current one.
    const id = (el.closest("li.node") as HTMLElement | null)?.dataset.id;
    this.followTyping(id ?? null);
  }

  /** Watch the others' typing in node `id` while this person edits it (null: stop). */
  protected followTyping(id: string | null): void {
    const n = id ? this.view.get(id) : undefined;
    this.remoteTyping.watch(n && !n.deleted ? this.view.textDoc(n.id) : null);
  }

  // ==================================================================== presence

  setPresence(
    all: Iterable<{ user: { id: number } & Named; node: string | null; editing: boolean; typing?: boolean }>,
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
          title: `${personName(p.user)} ${p.typing ? "is typing" : p.editing ? "is editing" : "is here"}`,
          text: personName(p.user),
        });
        m.style.setProperty("--c", userColor(p.user.id));
        return m;
      }),
    );
    r.li.classList.toggle("has-presence", list.length > 0);
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
