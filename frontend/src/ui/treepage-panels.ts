/**
 * The tree page's state and its panels: the find bar (text, type and tag filters, tag rename,
 * tag suggestions), the zoom breadcrumbs and the details panel of the selected node. The header,
 * tabs and keys are in treepage-layout.ts; the sync engine and connection wiring in treepage.ts.
 */
import { analysisApi, type Member, type TagOffer, tagsApi, type TreeSummary } from "../api";
import { openModal } from "./modal";
import type { Connection, ConnState } from "../connection";
import { TYPE_INFO, typesOf } from "../core/grammar";
import { KeptList } from "../core/kept-list";
import { NoteDraft } from "../core/note-draft";
import { NotePace } from "../core/note-pace";
import { personName } from "../core/people";
import { renamedTo, renameSeen, taggedWith, tagsNow } from "../core/tag-follow";
import { mapCaret } from "../core/ytext";
import { LIMITS, normTag } from "../core/state";
import type { SyncEngine } from "../core/sync";
import type { NodeType, Op, TreeNode, User } from "../core/types";
import { h, keyboardLikely, on, toast } from "./dom";
import { type Outliner, short } from "./outliner";
import type { AnalysisController } from "./analysis";
import { type HistoryContext, historySection } from "./history";

export interface PageContext {
  me: User;
  navigate(path: string): void;
  signOut(): void;
}

export abstract class TreePagePanels {
  protected engine!: SyncEngine;
  protected conn!: Connection;
  protected outliner!: Outliner;
  protected members = new Map<number, string>();
  protected memberList: Member[] = [];
  protected merged = false;
  protected forkBtn = h("button", {
    type: "button",
    class: "subtle fork-btn",
    title: "One copy of this merged tree per person, for the next round",
    text: "Fork for next round…",
    hidden: true,
  });
  protected summary: TreeSummary | null = null;
  protected statusEl = h("span", { class: "status", role: "status" });
  protected rosterEl = h("ul", { class: "roster", "aria-label": "People in this tree" });
  protected bannerEl = h("div", { class: "banner", hidden: true, role: "alert" });
  protected titleEl = h("h1", { class: "tree-title", text: "Loading…" });
  protected kindEl = h("span", { class: "kind" });
  /** The top bar's own name: how this tree names me (myName), like everything else in it. */
  protected meEl = h("span", { class: "me" });
  protected crumbsEl = h("nav", { class: "crumbs", "aria-label": "Zoom path" });
  protected detailsEl = h("aside", { class: "details", "aria-label": "Node details" });
  protected countEl = h("span", { class: "count" });
  protected tagSelect = h("select", { "aria-label": "Filter by tag" });
  protected typeSelect = h("select", { "aria-label": "Filter by type" });
  protected renameTagsBtn = h("button", { type: "button", class: "subtle", text: "Rename tags…", title: "Rename a tag or merge several, here or in all your trees" });
  protected findInput = h("input", { type: "search", placeholder: "Find…", "aria-label": "Find text" });
  protected unpatched = h("input", { type: "checkbox", id: "f-unpatched" });
  protected unpatchedLabel = h("label", { for: "f-unpatched" }, this.unpatched, " Critiques with no patch");
  protected panes: Record<string, HTMLElement> = {};
  protected tabs: Record<string, HTMLButtonElement> = {};
  protected graph: { update(): void; destroy(): void } | null = null;
  protected graphDirty = true;
  protected help!: HTMLDialogElement;
  protected loaded = false;
  protected connState: ConnState = "connecting";
  protected detailsFor: string | null = null;
  protected removers: (() => void)[] = [];
  protected analysis!: AnalysisController;
  /** Sends the note being typed in the details panel (null when there is none). */
  protected noteDraft: (() => void) | null = null;
  /** The details panel's note field, which merges others' writes of the note as they come. */
  protected noteField: { id: string; el: HTMLTextAreaElement; draft: NoteDraft } | null = null;

  constructor(
    protected readonly treeId: number,
    protected readonly ctx: PageContext,
  ) {}

  /** The status line in the header (treepage-layout.ts). */
  protected abstract renderStatus(): void;

  protected setMembers(list: Member[]): void {
    for (const m of list) this.members.set(m.user.id, personName(m.user));
    this.renderMe();
  }

  /** The top bar's name: a workshop's tree names me by my seat, not my account. */
  protected renderMe(): void {
    const name = this.myName();
    this.meEl.textContent = name;
    this.meEl.title = this.ctx.me.username;
  }

  /** How this tree names me (a workshop's tree: the name I joined it with), as the server said
   * in its welcome; my account's name until then. */
  protected myName(): string {
    return this.members.get(this.ctx.me.id) ?? personName(this.ctx.me);
  }

  protected userName(id: number | null): string {
    if (id === null) return "someone";
    if (id === this.ctx.me.id) return "you";
    return this.members.get(id) ?? `user ${id}`;
  }
  // ------------------------------------------------------------------ find

  private tagOptionsTimer: number | null = null;
  /** The filter's tag when a rename's ops took it from the tree and did not say its new name:
   * the `tags` event that follows them will (core/tag-follow.ts). */
  protected lostTag = "";
  /** The nodes carrying the filter's tag, with their tags, as last seen: where it went when
   * it vanishes (core/tag-follow.ts). */
  private tagged = new Map<string, string[]>();

  /** Tags changed (anyone's edit, a rename, a snapshot): the tag filter's choices and the tag
   * field's suggestions follow, live. */
  protected scheduleTagOptions(): void {
    if (this.tagOptionsTimer !== null) return;
    this.tagOptionsTimer = window.setTimeout(() => {
      this.tagOptionsTimer = null;
      const before = this.tagSelect.value;
      this.fillTagOptions();
      this.fillTagOffers();
      if (this.tagSelect.value === before) {
        this.rememberTagged();
        return;
      }
      // Gone from the tree. Renamed, if the ops that took it say to what (also when they came
      // with a reconnect, whose `tags` event never comes): follow it. Renamed to a name they
      // do not tell: wait for the event. Otherwise (deleted, edited by hand): all tags.
      const now = tagsNow(this.engine);
      const to = renamedTo(before, this.tagged, now);
      this.lostTag = !to && renameSeen(this.tagged, now) ? before : "";
      if (to) {
        this.fillTagOptions([to]);
        this.tagSelect.value = to;
      }
      this.updateFilter();
    }, 100);
  }

  /** Note which nodes carry the filter's tag (see `tagged`). */
  protected rememberTagged(): void {
    const v = this.engine.view;
    this.tagged = v ? taggedWith(v.nodes.values(), this.tagSelect.value) : new Map();
  }

  /** Someone renamed or merged tags: the filter follows the tag it was showing, and the tag
   * field's suggestions (the user's other trees' tags too) are read again. */
  protected onTagsRenamed(m: { renamed?: { from: string[]; to: string } }): void {
    const r = m.renamed;
    if (!r) return;
    const current = this.tagSelect.value || this.lostTag;
    this.lostTag = "";
    this.fillTagOptions([r.to]);
    if (current && r.from.includes(current)) {
      this.tagSelect.value = r.to;
      this.updateFilter();
    }
    this.tagOffers.changed();
  }

  /** The page's socket (re)joined the tree's broadcasts: a rename made meanwhile came as ops
   * (the tree's own tags follow them, and so does the filter when they say where its tag
   * went), its `tags` event never will: a tag the filter was waiting for an event about is
   * forgotten, and the suggestions read before are read again. */
  protected tagsOnJoined(): void {
    this.lostTag = "";
    this.tagOffers.joined();
  }

  /** Rename a tag of this tree, or merge several into one, here or in every tree I may edit. */
  protected openTagRename(): void {
    const v = this.engine.view;
    if (!v) return;
    const tags = [...new Set([...v.nodes.values()].filter((n) => !n.deleted).flatMap((n) => n.tags))].sort();
    const m = openModal("Rename or merge tags", "tag-rename-dialog");
    if (!tags.length) {
      m.body.append(h("p", { class: "muted", text: "No node of this tree has a tag yet." }));
      return;
    }
    const boxes = tags.map((t) => {
      const box = h("input", { type: "checkbox", value: t });
      box.checked = t === this.tagSelect.value;
      return box;
    });
    const to = h("input", { type: "text", maxlength: LIMITS.tag, "aria-label": "New name", placeholder: "new-name", list: "tag-offers" });
    const scope = h("select", { "aria-label": "Where" }, h("option", { value: "tree", text: "In this tree" }), h("option", { value: "all", text: "In every tree I can edit" }));
    m.body.append(
      h("p", { class: "muted small", text: "Tick the tag(s) to rename; ticking several merges them into one. Everyone sees the change at once." }),
      h("fieldset", { class: "plain tag-pick" }, h("legend", { text: "Tags" }), ...boxes.map((b) => h("label", { class: "pick-row" }, b, ` #${b.value}`))),
      h("label", { class: "field" }, h("span", { text: "New name" }), to),
      h("label", { class: "field" }, h("span", { text: "Where" }), scope),
    );
    this.tagDatalist();
    const go = h("button", { type: "button", class: "primary", text: "Rename" });
    m.actions.prepend(go);
    on(go, "click", async () => {
      const from = boxes.filter((b) => b.checked).map((b) => b.value);
      const target = normTag(to.value);
      if (!from.length || !target) {
        toast("Tick a tag and type its new name.", { kind: "error" });
        return;
      }
      go.disabled = true;
      try {
        const out = await tagsApi.rename(from, target, scope.value === "tree" ? [this.treeId] : undefined);
        const nodes = out.trees.reduce((a, t) => a + t.nodes, 0);
        toast(`#${from.join(", #")} → #${out.to}: ${nodes} node${nodes === 1 ? "" : "s"} in ${out.trees.length} tree${out.trees.length === 1 ? "" : "s"}.`);
        m.d.close();
      } catch (e) {
        go.disabled = false;
        toast(`Could not rename: ${(e as Error).message}`, { kind: "error" });
      }
    });
    // The tags to tick come first (the name is typed after): start at the first ticked one.
    (boxes.find((b) => b.checked) ?? boxes[0]).focus();
  }

  /** The page's `datalist#tag-offers`, once a tag field was shown. */
  private offersList: HTMLDataListElement | null = null;
  /** What the server offers (GET /api/tags/vocabulary/): read when a tag field is first shown,
   * again on each join of the page's socket and each rename (core/kept-list.ts). */
  private readonly tagOffers = new KeptList<TagOffer>(
    () => tagsApi.vocabulary(this.treeId),
    () => this.fillTagOffers(),
  );

  /** The tag fields' suggestions (one `datalist#tag-offers` in the page): this tree's tags,
   * the group's, the failure-mode vocabulary. */
  private tagDatalist(): void {
    if (!this.offersList) {
      const list = h("datalist", { id: "tag-offers" });
      document.body.append(list);
      this.removers.push(() => list.remove());
      this.offersList = list;
    }
    this.fillTagOffers();
    void this.tagOffers.need();
  }

  /** Refill the suggestions, if shown: this tree's tags as they are now, then the server's. */
  private fillTagOffers(): void {
    const list = this.offersList;
    if (!list) return;
    const here = new Set<string>();
    for (const n of this.engine.view?.nodes.values() ?? []) if (!n.deleted) for (const t of n.tags) here.add(t);
    const seen = new Set<string>();
    const opts: HTMLOptionElement[] = [];
    const add = (tag: string, label: string) => {
      if (seen.has(tag)) return;
      seen.add(tag);
      opts.push(h("option", { value: tag, label }));
    };
    for (const t of [...here].sort()) add(t, "in this tree");
    for (const o of this.tagOffers.rows) add(o.tag, o.label ? `${o.label}${o.aliases.length ? ` (${o.aliases.slice(0, 3).join(", ")})` : ""}` : o.source === "group" ? "in your trees" : "");
    list.replaceChildren(...opts);
  }

  /** Alt+T / Alt+N: the focused node's tag field or note, in the details panel. */
  protected focusDetailsField(which: "tag" | "note"): void {
    const id = this.outliner.active ?? this.detailsFor;
    if (!id) {
      toast("Select a node first.");
      return;
    }
    if (this.detailsFor !== id) {
      this.detailsFor = id;
      this.renderDetails(true);
    }
    const el = this.detailsEl.querySelector<HTMLElement>(which === "tag" ? "input.tag-input" : "textarea.note-input");
    el?.focus();
  }

  protected fillTagOptions(extra: string[] = []): void {
    const v = this.engine.view;
    if (!v) return;
    const current = this.tagSelect.value;
    const tags = new Set<string>(extra);
    for (const n of v.nodes.values()) if (!n.deleted) for (const t of n.tags) tags.add(t);
    this.tagSelect.replaceChildren(
      h("option", { value: "", text: "All tags" }),
      ...[...tags].sort().map((t) => h("option", { value: t, text: `#${t}` })),
    );
    this.tagSelect.value = tags.has(current) ? current : "";
  }

  protected updateFilter(): void {
    const count = this.outliner.setFilter({
      text: this.findInput.value.trim(),
      type: this.typeSelect.value as NodeType | "",
      tag: this.tagSelect.value,
      unpatched: this.unpatched.checked,
      extra: this.analysis.filterExtra(),
    });
    this.rememberTagged();
    this.countEl.textContent = this.outliner.isFiltering() ? `${count} match${count === 1 ? "" : "es"}` : "";
  }
  // ------------------------------------------------------------------ breadcrumbs & details

  protected renderCrumbs(): void {
    const v = this.engine.view;
    const z = this.outliner.zoom;
    if (!v || !z) {
      this.crumbsEl.replaceChildren();
      this.crumbsEl.hidden = true;
      return;
    }
    this.crumbsEl.hidden = false;
    const chain: TreeNode[] = [];
    for (let n = v.get(z); n; n = n.parent ? v.get(n.parent) : undefined) chain.unshift(n);
    const link = (label: string, id: string | null) => {
      const a = h("button", { type: "button", class: "crumb", text: label });
      on(a, "click", () => this.outliner.setZoom(id));
      return a;
    };
    const parts: Node[] = [link(this.summary?.title ?? "Top", null)];
    chain.forEach((n, i) => {
      parts.push(h("span", { class: "sep", "aria-hidden": "true", text: "›" }));
      if (i === chain.length - 1) {
        const cur = h("span", { class: `crumb current t-${n.type}`, "aria-current": "page" });
        cur.append(h("span", { class: "tlabel", text: TYPE_INFO[n.type].label }), " ", short(n.text, 80));
        parts.push(cur);
      } else parts.push(link(short(n.text, 30), n.id));
    });
    this.crumbsEl.replaceChildren(...parts);
  }

  protected renderDetails(force = false): void {
    const v = this.engine.view;
    const id = this.detailsFor;
    const n = id && v ? v.get(id) : undefined;
    // On a phone the panel is a sheet at the bottom of the screen, shown for a selected node.
    this.detailsEl.classList.toggle("empty", !n || n.deleted);
    if (this.detailsEl.dataset.id !== id) this.detailsEl.classList.remove("closed");
    if (!n || n.deleted) {
      delete this.detailsEl.dataset.id;
      this.detailsEl.replaceChildren(
        h("p", { class: "muted", text: "Select a node to see its note and tags." }),
        h("p", { class: "muted small", text: "Press ? for keyboard shortcuts." }),
      );
      return;
    }
    // Do not clobber what the user is typing in the panel.
    if (!force && this.detailsEl.contains(document.activeElement) && this.detailsEl.dataset.id === n.id) {
      const tagsBox = this.detailsEl.querySelector(".tag-list");
      if (tagsBox) tagsBox.replaceChildren(...this.tagChips(n));
      return;
    }
    this.detailsEl.dataset.id = n.id;
    const ro = this.outliner.readOnly;
    // Read-only, the fields must not invite typing that nothing takes.
    const note = h("textarea", { rows: 6, class: "note-input", "aria-label": "Note", placeholder: ro ? "No note." : "Add a note, sources, reasoning…" });
    note.value = n.note;
    note.readOnly = ro;
    let timer: number | null = null;
    // Each write says the note it was made from (`base`): the server merges the edit of it into
    // the note as it is then, and others' writes are merged into this field as they come
    // (core/note-draft.ts, `onNoteLogged`), so two people writing in it at once see each
    // other's sentences and keep their own (docs/protocol.md, "Node text").
    const draft = new NoteDraft(this.engine.confirmed?.get(n.id)?.note ?? n.note, n.note);
    this.noteField = { id: n.id, el: note, draft };
    // Written as it is typed: the first key at once, then the newest text at most every
    // 250 ms (less often in a long note) while the keys go on (core/note-pace.ts).
    const pace = new NotePace();
    const saveNote = () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (this.noteDraft === saveNote) this.noteDraft = null;
      const cur = this.engine.view?.get(n.id);
      if (cur && !cur.deleted && draft.unsent(note.value)) {
        const op: Op = { kind: "set", id: n.id, field: "note", value: note.value, base: draft.base };
        if (this.outliner.edit([op], `note:${n.id}`)) {
          draft.wrote(note.value);
          pace.wrote(performance.now());
        }
      }
      this.renderStatus();
    };
    on(note, "input", () => {
      if (this.noteDraft !== saveNote) {
        this.noteDraft?.();
        this.noteDraft = saveNote;
        this.renderStatus();
      }
      // A write already waiting takes this key too: it sends the text as it is then.
      if (timer !== null) return;
      const wait = pace.delay(performance.now(), note.value.length, this.engine.connected);
      if (wait > 0) timer = window.setTimeout(saveNote, wait);
      else saveNote();
    });
    on(note, "blur", saveNote);
    const tagInput = h("input", {
      type: "text",
      class: "tag-input",
      placeholder: keyboardLikely() ? "Add tag, press Enter (Alt+T)" : "Add tag, press Enter",
      "aria-label": "Add a tag",
      maxlength: LIMITS.tag,
      list: "tag-offers",
      autocomplete: "off",
    });
    tagInput.readOnly = ro;
    tagInput.hidden = ro;
    const backToNode = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      e.preventDefault();
      this.outliner.focusNode(n.id, "end");
    };
    on(note, "keydown", backToNode);
    on(tagInput, "keydown", backToNode);
    on(tagInput, "keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault();
      const t = normTag(tagInput.value);
      const cur = this.engine.view?.get(n.id);
      if (!t || !cur) return;
      if (!cur.tags.includes(t)) this.outliner.edit([{ kind: "set", id: n.id, field: "tags", value: [...cur.tags, t] }]);
      tagInput.value = "";
    });
    const del = h("button", { type: "button", class: "danger subtle", text: "Delete node" });
    del.disabled = ro;
    on(del, "click", () => this.outliner.deleteNode(n.id));
    const zoom = h("button", { type: "button", class: "subtle", text: "Zoom in" });
    on(zoom, "click", () => this.outliner.setZoom(n.id));
    const extra: Node[] = [];
    if (n.parents.length) {
      extra.push(h("h3", { text: "Also under" }));
      const ul = h("ul", { class: "plain" });
      for (const p of n.parents) {
        const pn = v!.get(p);
        const li = h("li", {}, h("span", { text: short(pn?.text ?? p, 50) }));
        if (!ro) {
          const un = h("button", { type: "button", class: "link", text: "unlink" });
          on(un, "click", () => this.outliner.edit([{ kind: "unlink", id: n.id, parent: p }]));
          li.append(" ", un);
        }
        ul.append(li);
      }
      extra.push(ul);
    }
    if (v!.kind === "problem" && !ro) extra.push(this.linkPicker(n), ...this.mergeTools(n));
    this.tagDatalist();
    const closeSheet = h("button", { type: "button", class: "icon sheet-close", "aria-expanded": "true", "aria-label": "Details of this node", text: "▾" });
    const setClosed = (closed: boolean) => {
      this.detailsEl.classList.toggle("closed", closed);
      closeSheet.setAttribute("aria-expanded", String(!closed));
      closeSheet.textContent = closed ? "▴" : "▾";
    };
    setClosed(this.detailsEl.classList.contains("closed"));
    on(closeSheet, "click", () => setClosed(!this.detailsEl.classList.contains("closed")));
    this.detailsEl.replaceChildren(
      this.typeControl(n, h("span", { class: "spacer" }), closeSheet),
      h("p", { class: "muted small", text: `Added by ${this.userName(n.author)}` }),
      ...this.analysis.details(n),
      h("label", { class: "field" }, h("span", { text: "Note" }), note),
      ...this.aliasLine(n),
      h("div", { class: "field" }, h("span", { text: v!.kind === "game" ? "Failure-mode tags" : "Tags" }), h("div", { class: "tag-list" }, ...this.tagChips(n)), tagInput),
      ...extra,
      h("div", { class: "row-actions" }, zoom, del),
      this.historyFor(n),
    );
  }

  /**
   * A write of node `id`'s note reached the log: merge it into the note field if it shows that
   * node, keeping the caret, the selection, the scroll and what is typed but not written yet.
   */
  protected onNoteLogged(id: string, note: string, mine: boolean): void {
    const f = this.noteField;
    if (!f || f.id !== id || !f.el.isConnected) return;
    const el = f.el;
    const focused = document.activeElement === el;
    const dir = el.selectionDirection;
    const settled = !this.engine.isLocked(id, "note");
    const r = f.draft.logged(note, mine, el.value, [el.selectionStart, el.selectionEnd], settled);
    if (r.draft === el.value) return;
    const top = el.scrollTop;
    el.value = r.draft;
    if (focused) el.setSelectionRange(r.at[0], r.at[1], dir);
    el.scrollTop = top;
  }

  /** The tree was loaded again: the note field starts from the server's note as it is now. */
  protected noteReloaded(): void {
    const f = this.noteField;
    const note = f && f.el.isConnected ? this.engine.confirmed?.get(f.id)?.note : undefined;
    if (!f || note === undefined) return;
    const value = f.draft.reloaded(note, f.el.value, this.engine.isLocked(f.id, "note"));
    if (value === f.el.value) return;
    const at = [mapCaret(f.el.value, value, f.el.selectionStart), mapCaret(f.el.value, value, f.el.selectionEnd)];
    f.el.value = value;
    if (document.activeElement === f.el) f.el.setSelectionRange(at[0], at[1]);
  }

  private historyBox: { id: string; el: HTMLElement; at: number } | null = null;

  /** The node's history section, reloaded at most every few seconds (edits re-render it). */
  private historyFor(n: TreeNode): HTMLElement {
    const box = this.historyBox;
    if (box && box.id === n.id && performance.now() - box.at < 3000) return box.el;
    const el = historySection(this.historyCtx(), n);
    this.historyBox = { id: n.id, el, at: performance.now() };
    return el;
  }

  protected historyCtx(): HistoryContext {
    return {
      treeId: this.treeId,
      readOnly: () => this.outliner.readOnly,
      edit: (ops) => this.outliner.edit(ops),
      userName: (id) => this.userName(id),
      nodeText: (id) => this.engine.view?.get(id)?.text,
      unsaved: (id) => this.engine.unsent().some((p) => p.op.kind === "create" && p.op.id === id),
    };
  }

  /** The node's type, as a control where it can change (the explicit type switch). */
  private typeControl(n: TreeNode, ...after: Node[]): HTMLElement {
    const icon = h("span", { class: "icon", "aria-hidden": "true", text: TYPE_INFO[n.type].icon });
    const types = typesOf(this.engine.view!.kind);
    if (this.outliner.readOnly || types.length < 2)
      return h("div", { class: `dtype t-${n.type}` }, icon, TYPE_INFO[n.type].label, ...after);
    // The shortcuts only where there is a keyboard to press them on (not on a phone).
    const keys = keyboardLikely();
    const select = h("select", { "aria-label": "Node type", title: keys ? "Change the type (Ctrl+Shift+1/2/3)" : "Change the type" });
    types.forEach((t, i) => select.append(h("option", { value: t, text: keys ? `${TYPE_INFO[t].label} (Ctrl+Shift+${i + 1})` : TYPE_INFO[t].label })));
    select.value = n.type;
    on(select, "change", () => {
      const cur = this.engine.view?.get(n.id);
      if (cur) this.outliner.setType(cur, select.value as NodeType);
      this.renderDetails(true);
    });
    return h("div", { class: `dtype t-${n.type}` }, icon, select, ...after);
  }

  /** The other names a merged node was drawn with (`meta.aliases`). */
  private aliasLine(n: TreeNode): HTMLElement[] {
    const aliases = n.meta?.aliases;
    if (!Array.isArray(aliases) || !aliases.length) return [];
    return [h("p", { class: "aliases small" }, h("span", { class: "muted", text: "Also called: " }), aliases.map((a) => `“${String(a)}”`).join(", "))];
  }

  /** Merge this problem with another by hand; split a merged one back into its sources. */
  private mergeTools(n: TreeNode): HTMLElement[] {
    const out: HTMLElement[] = [];
    const input = h("input", { type: "search", placeholder: "Merge with… (search)", "aria-label": "Merge with another problem" });
    const results = h("ul", { class: "plain merge-results", id: `merge-results-${n.id}`, "aria-label": "Problems to merge with" });
    arrowPicker(input, results);
    on(input, "input", () => {
      const v = this.engine.view!;
      const q = input.value.trim().toLowerCase();
      results.replaceChildren();
      if (q.length < 2) return;
      let count = 0;
      for (const c of v.nodes.values()) {
        if (count >= 8) break;
        if (c.deleted || c.id === n.id || !c.text.toLowerCase().includes(q)) continue;
        count++;
        const b = h("button", { type: "button", class: "subtle pick", text: short(c.text, 60), title: "Merge it into this problem (this label stays; Undo in the merge review)" });
        on(b, "click", async () => {
          try {
            await analysisApi.mergeNodes(this.treeId, n.id, c.id, "a");
            toast(`Merged “${short(c.text)}” into “${short(n.text)}”. Undo it in the merge review.`);
            input.value = "";
            results.replaceChildren();
            // Its sources and aliases changed while the click held focus in this panel (which
            // keeps the panel from being rebuilt under a click): show them now.
            this.renderDetails(true);
          } catch (e) {
            toast(`Could not merge: ${(e as Error).message}`, { kind: "error" });
          }
        });
        results.append(h("li", {}, b));
      }
      if (!count) results.append(h("li", { class: "muted small", text: "No other problem matches." }));
    });
    out.push(h("div", { class: "field" }, h("span", { text: "Same problem as another?" }), input, results));
    const sources = n.meta?.sources;
    const trees = new Set(Array.isArray(sources) ? (sources as { tree: number }[]).map((x) => x.tree) : []);
    if (trees.size > 1) {
      const split = h("button", { type: "button", class: "subtle split-btn", text: `Split into its ${trees.size} sources` });
      on(split, "click", async () => {
        try {
          const out = await analysisApi.splitNode(this.treeId, n.id);
          toast(`Split into ${out.nodes.length} problems.`);
          this.renderDetails(true);
        } catch (e) {
          toast(`Could not split: ${(e as Error).message}`, { kind: "error" });
        }
      });
      out.push(h("div", { class: "row-actions" }, split));
    }
    return out;
  }

  /** Problem trees are DAGs: search another problem to also put this one under it. */
  private linkPicker(n: TreeNode): HTMLElement {
    const input = h("input", {
      type: "search",
      placeholder: "Also put under… (search)",
      "aria-label": "Also put under another problem",
    });
    const results = h("ul", { class: "plain link-results", id: `link-results-${n.id}`, "aria-label": "Problems to put it under" });
    arrowPicker(input, results);
    on(input, "input", () => {
      const v = this.engine.view!;
      const cur = v.get(n.id);
      const q = input.value.trim().toLowerCase();
      results.replaceChildren();
      if (!cur || q.length < 2) return;
      let count = 0;
      for (const c of v.nodes.values()) {
        if (count >= 8) break;
        if (c.deleted || c.id === cur.id || c.id === cur.parent || cur.parents.includes(c.id)) continue;
        if (!c.text.toLowerCase().includes(q) || v.isAncestorOrSelf(cur.id, c.id)) continue;
        count++;
        const b = h("button", { type: "button", class: "subtle pick", text: short(c.text, 60) });
        on(b, "click", () => {
          if (this.outliner.edit([{ kind: "link", id: cur.id, parent: c.id }])) {
            toast(`Also under “${short(c.text)}” now.`);
            input.value = "";
            results.replaceChildren();
            this.renderDetails(true);
          }
        });
        results.append(h("li", {}, b));
      }
      if (!count) results.append(h("li", { class: "muted small", text: "No other problem matches." }));
    });
    return h("div", { class: "field" }, h("span", { text: "Also under another problem" }), input, results);
  }

  private tagChips(n: TreeNode): HTMLElement[] {
    return n.tags.map((t) => {
      const chip = h("span", { class: "tag" }, `#${t}`);
      if (!this.outliner.readOnly) {
        const x = h("button", { type: "button", class: "icon small", "aria-label": `Remove tag ${t}`, text: "×" });
        on(x, "click", () => {
          const cur = this.engine.view?.get(n.id);
          if (cur) this.outliner.edit([{ kind: "set", id: n.id, field: "tags", value: cur.tags.filter((x) => x !== t) }]);
        });
        chip.append(x);
      }
      return chip;
    });
  }
}

/**
 * A search field over a list of result buttons, by keyboard as the download menu (export.ts):
 * Down from the field to the first result, Up/Down (wrapping) and Home/End among them, Up
 * above the first or Escape back to the field. Tab still walks through them.
 */
function arrowPicker(input: HTMLInputElement, results: HTMLElement): void {
  input.setAttribute("aria-controls", results.id);
  const buttons = () => [...results.querySelectorAll<HTMLButtonElement>("button")];
  on(input, "keydown", (e) => {
    if (e.key !== "ArrowDown") return;
    const first = buttons()[0];
    if (!first) return;
    e.preventDefault();
    first.focus();
  });
  on(results, "keydown", (e) => {
    const list = buttons();
    const i = list.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    let to: HTMLElement | undefined;
    if (e.key === "ArrowDown") to = list[(i + 1) % list.length];
    else if (e.key === "ArrowUp") to = i === 0 ? input : list[i - 1];
    else if (e.key === "Home") to = list[0];
    else if (e.key === "End") to = list[list.length - 1];
    else if (e.key === "Escape") to = input;
    if (!to) return;
    e.preventDefault();
    // Escape here means "back to the search", not "leave the details" (the page's keys).
    e.stopPropagation();
    to.focus();
  });
}
