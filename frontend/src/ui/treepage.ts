/** The page of one tree: header with presence, find bar, outliner, details, graph and analysis tabs. */
import { analysisApi, api, type Member, type TagOffer, tagsApi, type TreeSummary } from "../api";
import { openModal } from "./modal";
import { Connection, type ConnState, treeSocketUrl } from "../connection";
import { TYPE_INFO, typesOf } from "../core/grammar";
import { normTag } from "../core/state";
import { type ConflictInfo, type PresenceInfo, SyncEngine } from "../core/sync";
import type { NodeType, TreeNode, User } from "../core/types";
import { h, on, reserveBottom, toast, userColor } from "./dom";
import { downloadMenu } from "./export";
import { explain, Outliner, short } from "./outliner";
import { AnalysisController } from "./analysis";
import { isMergedTree, openForkDialog } from "./fork";
import { BEAT_MS, type Outbox } from "../core/outbox";
import { outboxFor, sendOrphans } from "./leave";
import { type HistoryContext, historySection, openTrash, openVersions } from "./history";

export interface PageContext {
  me: User;
  navigate(path: string): void;
  signOut(): void;
}

/** After this long without a key press, "typing" turns off for the others. */
const TYPING_IDLE_MS = 2500;

const SHORTCUTS: [string, string][] = [
  ["Enter", "New node below (same type); in the middle of the text, split it at the caret"],
  ["Tab", "Indent: make it a child of the node above (its type follows the grammar; a change is announced)"],
  ["Shift+Tab", "Outdent (a type change is announced)"],
  ["Ctrl+Shift+1 / 2 / 3", "Make it a proposal / critique / patch (moves it where that type goes; also the type menu in the details)"],
  ["↑ / ↓", "Move focus to the previous / next node"],
  ["Alt+↑ / Alt+↓", "Move the node up / down among its siblings"],
  ["Backspace", "On an empty node: delete it"],
  ["Ctrl+Shift+Backspace", "Delete the node and its subtree"],
  ["Ctrl+Z / Ctrl+Shift+Z", "Undo / redo your own edits"],
  ["Ctrl+↑ / Ctrl+↓, Ctrl+.", "Collapse / expand / toggle"],
  ["Alt+→ / Alt+←", "Zoom into the node / back out"],
  ["Esc", "Stop editing (in the tag or note field: back to the node)"],
  ["Alt+T", "Tags of the focused node: type a tag (suggestions as you type), Enter adds it"],
  ["Alt+N", "Note of the focused node"],
  ["/", "Find"],
  ["?", "This help"],
];

export class TreePage {
  readonly el: HTMLElement;
  private engine: SyncEngine;
  private conn: Connection;
  private outliner: Outliner;
  private members = new Map<number, string>();
  private memberList: Member[] = [];
  private merged = false;
  private forkBtn = h("button", {
    type: "button",
    class: "subtle fork-btn",
    title: "One copy of this merged tree per person, for the next round",
    text: "Fork for next round…",
    hidden: true,
  });
  private summary: TreeSummary | null = null;
  private statusEl = h("span", { class: "status", role: "status" });
  private rosterEl = h("ul", { class: "roster", "aria-label": "People in this tree" });
  private bannerEl = h("div", { class: "banner", hidden: true, role: "alert" });
  private titleEl = h("h1", { class: "tree-title", text: "Loading…" });
  private kindEl = h("span", { class: "kind" });
  private crumbsEl = h("nav", { class: "crumbs", "aria-label": "Zoom path" });
  private detailsEl = h("aside", { class: "details", "aria-label": "Node details" });
  private countEl = h("span", { class: "count" });
  private tagSelect = h("select", { "aria-label": "Filter by tag" });
  private typeSelect = h("select", { "aria-label": "Filter by type" });
  private renameTagsBtn = h("button", { type: "button", class: "subtle", text: "Rename tags…", title: "Rename a tag or merge several, here or in all your trees" });
  private findInput = h("input", { type: "search", placeholder: "Find…", "aria-label": "Find text" });
  private unpatched = h("input", { type: "checkbox", id: "f-unpatched" });
  private unpatchedLabel = h("label", { for: "f-unpatched" }, this.unpatched, " Critiques with no patch");
  private panes: Record<string, HTMLElement> = {};
  private tabs: Record<string, HTMLButtonElement> = {};
  private graph: { update(): void; destroy(): void } | null = null;
  private graphDirty = true;
  private help: HTMLDialogElement;
  private loaded = false;
  private connState: ConnState = "connecting";
  private detailsFor: string | null = null;
  private removers: (() => void)[] = [];
  private analysis: AnalysisController;

  constructor(
    private readonly treeId: number,
    private readonly ctx: PageContext,
  ) {
    this.outbox = outboxFor(ctx.me.id);
    this.engine = new SyncEngine({
      send: (m) => this.conn.send(m),
      onReset: () => this.onReset(),
      onChanges: (changes) => {
        this.outliner.applyChanges(changes);
        if (changes.some((c) => c.group === "tags" || c.group === "exists" || c.group === "deleted")) this.scheduleTagOptions();
        const relabelled = this.analysis.onChanges(changes);
        // The panel does not show the node's text: a text change (the draft flushed when one
        // clicks from the row into the tag field) must not rebuild it under the click.
        if (this.detailsFor && (changes.some((c) => c.id === this.detailsFor && c.group !== "text") || relabelled.includes(this.detailsFor)))
          this.renderDetails();
        this.markGraphDirty();
      },
      onReject: (op, code, message) => {
        // Typing in a node someone deleted is told by onConflict, with a way back.
        if (op.kind === "text" && code === "deleted") return;
        toast(`Your change was not saved: ${explain(code, message)}`, { kind: "error" });
      },
      onConflict: (info) => this.onConflict(info),
      onReplaced: (info) => this.onReplaced(info),
      onRemoteDelete: (id, actor) => this.onRemoteDelete(id, actor),
      onPresence: (all) => this.onPresence(all),
      onWelcome: (_u, role) => {
        // Presence goes after the hello has been answered (before it the server has nothing
        // to attach it to); the hello itself already shows us to the others.
        this.welcomed = true;
        if (this.myPresence.node) this.sendPresence();
        this.setRole(role);
        this.onPresence(this.engine.presence);
      },
      onRole: (role) => this.setRole(role),
      onError: (code, message) => {
        if (code !== "rate_limited") toast(explain(code, message), { kind: "error" });
      },
      onPendingChange: () => {
        this.saveOutbox();
        this.renderStatus();
      },
      fetchSnapshot: () => api.snapshot(this.treeId).finally(() => performance.mark("gt:snapshot-parsed")),
    });
    this.conn = new Connection(treeSocketUrl(treeId), (s, code) => this.onConnState(s, code));
    this.conn.engine = this.engine;
    this.conn.onOther = (m) => {
      if (m.type === "tags") this.onTagsRenamed(m as unknown as { renamed?: { from: string[]; to: string } });
      else this.analysis.onMessage(m);
    };
    this.analysis = new AnalysisController({
      treeId,
      engine: this.engine,
      outliner: () => this.outliner,
      showTab: (k) => this.showTab(k),
      navigate: (p) => this.ctx.navigate(p),
      userName: (id) => this.userName(id),
      memberName: (id) => (id === this.ctx.me.id ? this.ctx.me.username : (this.members.get(id) ?? `user ${id}`)),
      onTitles: () => this.detailsFor && this.renderDetails(),
    });
    this.outliner = new Outliner(this.engine, treeId, {
      onFocusNode: (id, editing) => {
        this.setPresence({ node: id, editing, typing: false });
        this.detailsFor = id;
        this.renderDetails();
      },
      onZoom: (id) => {
        this.renderCrumbs();
        this.pushZoom(id);
      },
      userName: (id) => this.userName(id),
      badge: (n) => this.analysis.badge(n),
      onTyping: (id) => {
        this.onTyping(id);
        this.renderStatus();
      },
      onDraftSettled: () => this.renderStatus(),
    });
    this.help = this.buildHelp();
    this.el = this.build();
    this.removers.push(this.listenGlobalKeys(), this.listenLeave());
  }

  start(): void {
    void this.loadMeta();
    // The first load goes over HTTP; the socket then says hello {since: seq} and streams ops.
    this.takeOutbox()
      .catch(() => undefined)
      .then(() => this.engine.preload())
      .catch(() => undefined)
      .finally(() => {
        if (!this.destroyed) this.conn.start();
      });
  }

  /**
   * Edits an earlier page of this tree left unsent (reload, Back, a closed tab): this page takes
   * them over with their client id and numbers (core/outbox.ts); otherwise it holds its own.
   */
  private async takeOutbox(): Promise<void> {
    const r = await this.outbox.take(this.treeId);
    if (r && !this.destroyed) this.engine.adopt(r.client, r.n, r.ops);
    else if (r) this.outbox.letGo(r.tree, r.client);
    else await this.outbox.hold(this.engine.clientId);
  }

  private destroyed = false;
  private outbox: Outbox;
  /** Sends the note being typed in the details panel (null when there is none). */
  private noteDraft: (() => void) | null = null;
  /** Where this user's cursor is, as last told to the others. */
  private myPresence: { node: string | null; editing: boolean; typing: boolean } = { node: null, editing: false, typing: false };
  private welcomed = false;
  private typingTimer: number | null = null;

  private setPresence(p: { node: string | null; editing: boolean; typing: boolean }): void {
    const old = this.myPresence;
    this.myPresence = p;
    if (old.node !== p.node || old.editing !== p.editing || old.typing !== p.typing) this.sendPresence();
  }

  private sendPresence(): void {
    if (this.welcomed) this.conn.send({ type: "presence", ...this.myPresence });
  }

  /** Keys pressed in a node: the others see "typing" until a short pause. */
  private onTyping(id: string): void {
    if (this.typingTimer !== null) clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => {
      this.typingTimer = null;
      if (this.myPresence.typing) this.setPresence({ ...this.myPresence, typing: false });
    }, TYPING_IDLE_MS);
    if (!this.myPresence.typing || this.myPresence.node !== id) this.setPresence({ node: id, editing: true, typing: true });
  }

  destroy(): void {
    // Leaving the page in the app (Back, a link): what is unsent stays in the outbox, released
    // for the app to send (main.ts) or the next page of this tree to adopt.
    this.flushEdits();
    this.outbox.letGo(this.treeId, this.engine.clientId);
    this.destroyed = true;
    if (this.typingTimer !== null) clearTimeout(this.typingTimer);
    this.conn.stop();
    this.graph?.destroy();
    this.analysis.destroy();
    for (const r of this.removers) r();
    this.help.remove();
    reserveBottom("details", 0);
  }

  // ------------------------------------------------------------------ zoom history

  private poppingZoom = false;

  /** Each zoom is a history entry, so the browser's Back zooms out instead of leaving. */
  private pushZoom(id: string | null): void {
    if (this.poppingZoom) return;
    const cur = (history.state as { gtTree?: number; zoom?: string | null } | null) ?? null;
    if ((cur?.zoom ?? null) === id) return;
    history.pushState({ gtTree: this.treeId, zoom: id }, "", location.pathname);
  }

  /** A popstate on this tree's page: restore its zoom. False when it is not ours to handle. */
  handlePopState(state: unknown): boolean {
    if (location.pathname.replace(/\/$/, "") !== `/app/trees/${this.treeId}`) return false;
    const st = (state ?? null) as { gtTree?: number; zoom?: string | null } | null;
    if (st && st.gtTree !== undefined && st.gtTree !== this.treeId) return false;
    const z = st?.zoom ?? null;
    const v = this.engine.view;
    this.poppingZoom = true;
    try {
      this.outliner.setZoom(z && v?.get(z) && !v.get(z)!.deleted ? z : null);
    } finally {
      this.poppingZoom = false;
    }
    return true;
  }

  /** Test and benchmark hook: the engine's state, read-only use. */
  get debug(): { engine: SyncEngine; outliner: Outliner } {
    return { engine: this.engine, outliner: this.outliner };
  }

  private async loadMeta(): Promise<void> {
    try {
      const [summary, members] = await Promise.all([api.tree(this.treeId), api.members(this.treeId)]);
      this.summary = summary;
      this.titleEl.textContent = summary.title;
      document.title = `${summary.title} · Gametree`;
      this.kindEl.textContent = summary.kind === "game" ? "Game tree" : "Problem tree";
      this.kindEl.className = `kind k-${summary.kind}`;
      this.setMembers(members);
      this.memberList = members;
      this.renderForkButton();
      this.analysis.refreshDrawn();
    } catch (e) {
      toast(`Could not load the tree: ${(e as Error).message}`, { kind: "error" });
    }
  }

  private setMembers(list: Member[]): void {
    for (const m of list) this.members.set(m.user.id, m.user.username);
  }

  private userName(id: number | null): string {
    if (id === null) return "someone";
    if (id === this.ctx.me.id) return "you";
    return this.members.get(id) ?? `user ${id}`;
  }

  // ------------------------------------------------------------------ leaving

  /** Edits not acknowledged by the server yet, typed text not yet sent included. */
  unsaved(): number {
    return this.engine.unsent().length + (this.outliner.hasDraft ? 1 : 0) + (this.noteDraft ? 1 : 0);
  }

  /** Turn typed text into ops now and record everything unsent in the outbox. */
  private flushEdits(): void {
    this.outliner.flushDraft();
    this.noteDraft?.();
    this.saveOutbox();
  }

  private saveOutbox(): void {
    this.outbox.save(this.treeId, this.engine.clientId, this.engine.opNumber, this.engine.unsent());
  }

  private listenLeave(): () => void {
    const beforeUnload = (e: BeforeUnloadEvent) => {
      this.flushEdits();
      if (this.unsaved() > 0) {
        // The browser asks "Leave site?"; leaving anyway keeps the edits in the outbox.
        e.preventDefault();
        e.returnValue = "";
      }
    };
    const pageHide = () => {
      this.flushEdits();
      this.outbox.letGo(this.treeId, this.engine.clientId);
    };
    const pageShow = (e: PageTransitionEvent) => {
      if (e.persisted) void this.outbox.hold(this.engine.clientId).then(() => this.saveOutbox());
    };
    const hidden = () => {
      if (document.visibilityState === "hidden") this.flushEdits();
    };
    const beat = window.setInterval(() => {
      this.outbox.beat(this.treeId, this.engine.clientId);
      this.renderStatus();
      // A page of this user that went without saying so (closed tab, crash): send its edits.
      if (this.connState === "online") void sendOrphans(this.outbox);
    }, BEAT_MS);
    window.addEventListener("beforeunload", beforeUnload);
    window.addEventListener("pagehide", pageHide);
    window.addEventListener("pageshow", pageShow);
    document.addEventListener("visibilitychange", hidden);
    return () => {
      clearInterval(beat);
      window.removeEventListener("beforeunload", beforeUnload);
      window.removeEventListener("pagehide", pageHide);
      window.removeEventListener("pageshow", pageShow);
      document.removeEventListener("visibilitychange", hidden);
    };
  }

  // ------------------------------------------------------------------ layout

  private build(): HTMLElement {
    const back = h("a", { href: "/", class: "back", text: "← Trees" });
    on(back, "click", (e) => {
      e.preventDefault();
      this.ctx.navigate("/");
    });
    const helpBtn = h("button", { type: "button", class: "icon", "aria-label": "Keyboard shortcuts", title: "Keyboard shortcuts (?)", text: "?" });
    on(helpBtn, "click", () => this.help.showModal());
    on(this.forkBtn, "click", () => this.openFork());
    const trashBtn = h("button", { type: "button", class: "subtle", text: "Trash", title: "Deleted nodes: restore them" });
    on(trashBtn, "click", () => void openTrash(this.historyCtx()));
    const versionsBtn = h("button", { type: "button", class: "subtle", text: "Versions", title: "See the tree as it was earlier" });
    on(versionsBtn, "click", () => void openVersions(this.historyCtx()));
    const out = h("button", { type: "button", class: "link", text: "Sign out" });
    on(out, "click", () => this.ctx.signOut());
    const header = h(
      "header",
      { class: "topbar" },
      back,
      h("div", { class: "title-wrap" }, this.titleEl, this.kindEl),
      this.rosterEl,
      this.statusEl,
      this.forkBtn,
      trashBtn,
      versionsBtn,
      downloadMenu(this.treeId, () => this.summary?.kind ?? this.engine.view?.kind ?? null),
      helpBtn,
      h("span", { class: "me", text: this.ctx.me.username }),
      out,
    );

    const tabbar = h("div", { class: "tabs", role: "tablist", "aria-label": "Views" });
    for (const [key, label] of [
      ["outline", "Outline"],
      ["graph", "Graph"],
      ["analysis", "Analysis"],
    ] as const) {
      const b = h("button", { type: "button", role: "tab", id: `tab-${key}`, "aria-controls": `pane-${key}`, text: label });
      on(b, "click", () => this.showTab(key));
      this.tabs[key] = b;
      tabbar.append(b);
    }

    // Find bar
    this.typeSelect.append(h("option", { value: "", text: "All types" }));
    on(this.findInput, "input", () => this.updateFilter());
    on(this.typeSelect, "change", () => this.updateFilter());
    on(this.tagSelect, "change", () => {
      this.lostTag = "";
      this.updateFilter();
    });
    on(this.unpatched, "change", () => this.updateFilter());
    this.analysis.onFilterChange(() => this.updateFilter());
    on(this.tagSelect, "focus", () => this.fillTagOptions());
    on(this.renameTagsBtn, "click", () => this.openTagRename());
    const expand = h("button", { type: "button", class: "subtle", text: "Expand all" });
    on(expand, "click", () => this.outliner.collapseAll(false));
    const collapse = h("button", { type: "button", class: "subtle", text: "Collapse all" });
    on(collapse, "click", () => this.outliner.collapseAll(true));
    const findbar = h(
      "div",
      { class: "findbar", role: "search" },
      this.findInput,
      this.typeSelect,
      this.tagSelect,
      this.renameTagsBtn,
      this.unpatchedLabel,
      this.analysis.brokenLabel,
      this.countEl,
      h("span", { class: "spacer" }),
      expand,
      collapse,
    );

    const outline = h(
      "section",
      { class: "pane", id: "pane-outline", role: "tabpanel", "aria-labelledby": "tab-outline" },
      findbar,
      this.crumbsEl,
      h("div", { class: "outline-grid" }, h("div", { class: "outline-scroll" }, this.outliner.el), this.detailsEl),
    );
    const graph = h("section", { class: "pane", id: "pane-graph", role: "tabpanel", "aria-labelledby": "tab-graph", hidden: true });
    // ANALYSIS VIEWS GO HERE: survival badges (why a proposal is marked broken), merge review of
    // individually drawn trees, and the taut-constraint board of failure modes. This panel is
    // an intentionally empty container for them; they read `this.engine.view` like the graph.
    const analysis = h(
      "section",
      { class: "pane", id: "pane-analysis", role: "tabpanel", "aria-labelledby": "tab-analysis", hidden: true },
      this.analysis.pane,
    );
    this.panes = { outline, graph, analysis };
    this.watchSheet();
    const root = h("div", { class: "treepage" }, header, this.bannerEl, tabbar, outline, graph, analysis);
    this.showTab("outline");
    this.renderCrumbs();
    this.renderDetails();
    this.renderStatus();
    return root;
  }

  private showTab(key: string): void {
    for (const [k, pane] of Object.entries(this.panes)) {
      pane.hidden = k !== key;
      this.tabs[k].setAttribute("aria-selected", String(k === key));
      this.tabs[k].tabIndex = k === key ? 0 : -1;
    }
    if (key === "graph") void this.showGraph();
    if (key === "analysis") this.analysis?.show();
    else this.analysis?.hide();
  }

  private async showGraph(): Promise<void> {
    if (!this.engine.view) return;
    if (!this.graph) {
      const pane = this.panes.graph;
      pane.replaceChildren(h("p", { class: "muted", text: "Laying out the graph…" }));
      const { GraphView } = await import("./graph");
      pane.replaceChildren();
      this.graph = new GraphView(pane, () => this.engine.view!, (id) => {
        this.showTab("outline");
        this.outliner.focusNode(id, "end");
      });
      this.graphDirty = false;
    } else if (this.graphDirty) {
      this.graph.update();
      this.graphDirty = false;
    }
  }

  private markGraphDirty(): void {
    this.graphDirty = true;
    if (this.graph && !this.panes.graph.hidden) {
      window.setTimeout(() => {
        if (this.graphDirty && !this.panes.graph.hidden) {
          this.graph?.update();
          this.graphDirty = false;
        }
      }, 500);
    }
  }

  private buildHelp(): HTMLDialogElement {
    const dl = h("dl", { class: "shortcuts" });
    for (const [k, v] of SHORTCUTS) dl.append(h("dt", {}, h("kbd", { text: k })), h("dd", { text: v }));
    const close = h("button", { type: "button", class: "primary", text: "Close" });
    const d = h(
      "dialog",
      { class: "help", "aria-labelledby": "help-title" },
      h("h2", { id: "help-title", text: "Keyboard shortcuts" }),
      h("p", { class: "muted", text: "Click any node to edit it. Drag a node by its icon to move it; click the icon to zoom in." }),
      dl,
      h("div", { class: "dialog-actions" }, close),
    );
    on(close, "click", () => d.close());
    document.body.append(d);
    return d;
  }

  private listenGlobalKeys(): () => void {
    const fn = (e: KeyboardEvent) => {
      // Handled already (the outliner's own keys): one press must never act twice, e.g. one
      // Ctrl+Z undoing two steps.
      if (e.defaultPrevented) return;
      const t = e.target as HTMLElement;
      const typing = t.isContentEditable || t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT";
      if (!typing && e.key === "?") {
        e.preventDefault();
        this.help.showModal();
      } else if (!typing && e.key === "/") {
        e.preventDefault();
        this.findInput.focus();
      } else if (e.altKey && !e.ctrlKey && !e.metaKey && (e.code === "KeyT" || e.code === "KeyN")) {
        // Tab indents inside the outline, so the details fields have their own keys.
        e.preventDefault();
        this.focusDetailsField(e.code === "KeyT" ? "tag" : "note");
      } else if ((e.ctrlKey || e.metaKey) && e.key === "/") {
        e.preventDefault();
        this.help.showModal();
      } else if (!typing && (e.ctrlKey || e.metaKey) && (e.key === "z" || e.key === "Z" || e.key === "y")) {
        e.preventDefault();
        this.outliner.undoRedo(e.key === "y" || e.shiftKey);
      }
    };
    document.addEventListener("keydown", fn);
    return () => document.removeEventListener("keydown", fn);
  }

  // ------------------------------------------------------------------ sync events

  private onReset(): void {
    performance.mark("gt:state-ready");
    const v = this.engine.view!;
    if (!this.loaded) {
      this.loaded = true;
      for (const t of typesOf(v.kind)) this.typeSelect.append(h("option", { value: t, text: TYPE_INFO[t].label }));
      this.unpatchedLabel.hidden = v.kind !== "game";
      this.fillTagOptions();
    }
    if (this.outliner.zoom && !v.get(this.outliner.zoom)) this.outliner.zoom = null;
    this.analysis.onReset();
    this.merged = v.kind === "problem" && isMergedTree(v.nodes.values());
    this.renderForkButton();
    this.outliner.renderAll(() => {
      document.body.dataset.treeCompleteAt = String(performance.now());
      this.analysis.onRendered();
    });
    if (this.detailsFor) this.renderDetails();
    this.renderCrumbs();
    this.markGraphDirty();
    document.body.dataset.treeReady = "1";
    document.body.dataset.treeRenderedAt = String(performance.now());
    // For the load benchmark: when the first frame after the render has been painted.
    requestAnimationFrame(() =>
      setTimeout(() => (document.body.dataset.treePaintedAt = String(performance.now())), 0),
    );
  }

  private setRole(role: string): void {
    const ro = role === "viewer";
    this.renameTagsBtn.hidden = ro;
    if (this.outliner.readOnly !== ro) {
      this.outliner.readOnly = ro;
      if (this.engine.view) this.outliner.renderAll();
    }
    this.renderForkButton();
    this.renderStatus();
  }

  /** Fork is for merged problem trees, and for the people who may edit them. */
  private renderForkButton(): void {
    const role = this.summary?.role;
    this.forkBtn.hidden = !this.merged || this.summary?.kind !== "problem" || role === "viewer" || this.outliner.readOnly;
  }

  private async openFork(): Promise<void> {
    // Fresh members: someone may have joined since the page loaded.
    try {
      this.memberList = await api.members(this.treeId);
      this.setMembers(this.memberList);
    } catch {
      // keep the list we have
    }
    openForkDialog({
      treeId: this.treeId,
      title: this.summary?.title ?? "this tree",
      members: this.memberList,
      navigate: (p) => this.ctx.navigate(p),
    });
  }

  private onConnState(s: ConnState, code?: number): void {
    this.connState = s;
    if (s === "closed") {
      this.bannerEl.hidden = false;
      this.bannerEl.className = "banner error";
      this.bannerEl.textContent =
        code === 4403 ? "You no longer have access to this tree." : "This tree does not exist.";
      return;
    }
    if (s !== "online") this.welcomed = false;
    this.renderStatus();
  }

  private renderStatus(): void {
    // "Saved" only when the server has acknowledged everything, typed text included.
    const pending = this.unsaved();
    const s = this.connState;
    this.statusEl.className = `status s-${s}`;
    this.statusEl.textContent =
      s === "online" ? (pending ? `Saving ${pending}…` : "Saved") : s === "connecting" ? "Connecting…" : s === "offline" ? "Offline" : "Closed";
    if (s === "offline") {
      this.bannerEl.hidden = false;
      this.bannerEl.className = "banner offline";
      this.bannerEl.textContent = pending
        ? `You are offline. ${pending} edit${pending === 1 ? "" : "s"} will be sent when the connection is back.`
        : "You are offline. Keep working: your edits will be sent when the connection is back.";
    } else if (s !== "closed") {
      const ro = this.outliner.readOnly;
      this.bannerEl.hidden = !ro;
      this.bannerEl.className = "banner info";
      this.bannerEl.textContent = ro ? "You can view this tree but not edit it." : "";
    }
  }

  private onPresence(all: Map<string, PresenceInfo>): void {
    const people = new Map<number, { user: User; count: number; typingIn: string | null }>();
    for (const p of all.values()) {
      this.members.set(p.user.id, p.user.username);
      const typingIn = p.typing ? p.node : null;
      const e = people.get(p.user.id);
      if (e) {
        e.count++;
        e.typingIn ??= typingIn;
      } else people.set(p.user.id, { user: p.user, count: 1, typingIn });
    }
    const items: HTMLElement[] = [];
    const meChip = h("li", { class: "person me", title: `${this.ctx.me.username} (you)`, text: this.ctx.me.username });
    meChip.style.setProperty("--c", userColor(this.ctx.me.id));
    items.push(meChip);
    for (const { user, typingIn } of people.values()) {
      if (user.id === this.ctx.me.id) continue;
      const where = typingIn ? this.engine.view?.get(typingIn) : undefined;
      const title = typingIn ? `${user.username} is typing in “${short(where?.text ?? "", 60)}”` : `${user.username} is here`;
      const li = h("li", { class: typingIn ? "person typing" : "person", title, text: user.username });
      li.style.setProperty("--c", userColor(user.id));
      items.push(li);
    }
    this.rosterEl.replaceChildren(...items);
    this.outliner.setPresence(all.values());
  }

  /** Someone else deleted a subtree: tell whoever was in it, naming the node and the person. */
  private onRemoteDelete(id: string, actor: number | null): void {
    const v = this.engine.view;
    const root = v?.get(id);
    if (!v || !root || root.deleted) return;
    const mine = [this.outliner.active, this.detailsFor].filter((x): x is string => !!x);
    const hit = mine.find((x) => v.get(x) && !v.get(x)!.deleted && v.isAncestorOrSelf(id, x));
    if (!hit) return;
    const who = actor === null ? "Someone" : this.userName(actor);
    const where = hit === id ? "the node you were editing" : "the branch holding the node you were editing";
    this.toldDeleted.set(hit, Date.now());
    toast(`${who === "you" ? "You (in another window)" : who} deleted “${short(root.text, 60)}”, ${where}.`, {
      kind: "warn",
      ms: 15000,
      actions: this.outliner.readOnly
        ? []
        : [{ label: "Restore it", run: () => this.outliner.edit([{ kind: "restore", id }]) }],
    });
  }

  /** The phone's details sheet: what it covers at the bottom is kept clear of the node in use. */
  private watchSheet(): void {
    const phone = window.matchMedia("(max-width: 820px)");
    const update = () => {
      // (A fixed element has no offsetParent: whether it is displayed is whether it has boxes.)
      const shown = phone.matches && this.detailsEl.getClientRects().length > 0 && getComputedStyle(this.detailsEl).position === "fixed";
      reserveBottom("details", shown ? this.detailsEl.offsetHeight : 0);
    };
    const ro = new ResizeObserver(update);
    ro.observe(this.detailsEl);
    phone.addEventListener("change", update);
    this.removers.push(() => {
      ro.disconnect();
      phone.removeEventListener("change", update);
    });
  }

  /** Nodes whose deletion was just told (onRemoteDelete), so a refused keystroke is not told twice. */
  private readonly toldDeleted = new Map<string, number>();

  /** A structural conflict: name the node and the other person, offer the way back. */
  private onConflict(info: ConflictInfo): void {
    const v = this.engine.view;
    const n = v?.get(info.id);
    if (!v || !n) return;
    if (info.kind === "edit-deleted" && Date.now() - (this.toldDeleted.get(info.id) ?? 0) < 30_000) return;
    const label = `“${short(n.text) || TYPE_INFO[n.type].label.toLowerCase()}”`;
    const who = this.userName(info.actor);
    const restore = () => {
      // The node may have gone with a deleted ancestor: bring back what that delete took.
      let root = n;
      for (let p = root.parent ? v.get(root.parent) : undefined; p?.deleted; p = p.parent ? v.get(p.parent) : undefined) root = p;
      if (!this.outliner.edit([{ kind: "restore", id: root.id }])) return;
      const typed = info.text;
      if (typed !== undefined && typed !== v.get(info.id)?.text) {
        try {
          this.engine.editText(info.id, typed);
        } catch {
          /* the restore was refused meanwhile: its toast says why */
        }
      }
    };
    if (info.kind === "edit-deleted") {
      toast(`${who} deleted ${label} while you were editing it.`, {
        kind: "warn",
        ms: 20000,
        actions: [{ label: "Restore", run: restore }],
      });
    } else if (info.kind === "deleted-while-editing") {
      toast(`${who} was editing ${label} when you deleted it.`, {
        kind: "warn",
        ms: 20000,
        actions: [{ label: "Undo delete", run: restore }],
      });
    } else if (info.back) {
      const back = info.back;
      const put = () => this.outliner.edit([{ kind: "move", id: info.id, parent: back.parent, key: back.key, type: back.type }]);
      toast(
        info.mineWon
          ? `${who} had just moved ${label}; your move came after theirs and stands.`
          : `${who} moved ${label} right after you did; it stays where they put it.`,
        { kind: "warn", ms: 20000, actions: [{ label: info.mineWon ? "Put theirs back" : "Put mine back", run: put }] },
      );
    }
  }

  private onReplaced(info: { id: string; field: string; mine: unknown; theirs: unknown; actor: number | null }): void {
    const n = this.engine.view?.get(info.id);
    if (!n) return;
    const what = info.field === "text" ? `your text “${short(String(info.mine))}”` : `your ${info.field}`;
    toast(`${this.userName(info.actor)} edited the same node at the same time and replaced ${what}.`, {
      kind: "warn",
      actions: [
        {
          label: "Put mine back",
          run: () =>
            this.outliner.edit([{ kind: "set", id: info.id, field: info.field as "text", value: info.mine as string }]),
        },
      ],
    });
  }

  // ------------------------------------------------------------------ find

  private tagOptionsTimer: number | null = null;
  /** The filter's tag when it vanished from the tree (a rename's ops came before its event). */
  private lostTag = "";

  /** Tags changed (anyone's edit, a rename): the tag filter's choices follow, live. */
  private scheduleTagOptions(): void {
    if (this.tagOptionsTimer !== null) return;
    this.tagOptionsTimer = window.setTimeout(() => {
      this.tagOptionsTimer = null;
      const before = this.tagSelect.value;
      this.fillTagOptions();
      if (this.tagSelect.value !== before) {
        // Gone from the tree: maybe renamed (the `tags` event follows the ops), so remember it.
        this.lostTag = before;
        this.updateFilter();
      }
    }, 100);
  }

  /** Someone renamed or merged tags: the filter follows the tag it was showing. */
  private onTagsRenamed(m: { renamed?: { from: string[]; to: string } }): void {
    const r = m.renamed;
    if (!r) return;
    const current = this.tagSelect.value || this.lostTag;
    this.lostTag = "";
    this.fillTagOptions([r.to]);
    if (current && r.from.includes(current)) {
      this.tagSelect.value = r.to;
      this.updateFilter();
    }
    this.tagOffers = null;
  }

  /** Rename a tag of this tree, or merge several into one, here or in every tree I may edit. */
  private openTagRename(): void {
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
    const to = h("input", { type: "text", maxlength: 64, "aria-label": "New name", placeholder: "new-name", list: "tag-offers" });
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
    to.focus();
  }

  private tagOffers: TagOffer[] | null = null;
  private tagOffersLoading: Promise<void> | null = null;

  /** The tag fields' suggestions (one `datalist#tag-offers` in the page): this tree's tags,
   * the group's, the failure-mode vocabulary. */
  private tagDatalist(): void {
    let list = document.getElementById("tag-offers") as HTMLDataListElement | null;
    if (!list) {
      list = h("datalist", { id: "tag-offers" });
      document.body.append(list);
      this.removers.push(() => list?.remove());
    }
    const fill = () => {
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
      for (const o of this.tagOffers ?? []) add(o.tag, o.label ? `${o.label}${o.aliases.length ? ` (${o.aliases.slice(0, 3).join(", ")})` : ""}` : o.source === "group" ? "in your trees" : "");
      list!.replaceChildren(...opts);
    };
    fill();
    if (!this.tagOffers && !this.tagOffersLoading)
      this.tagOffersLoading = tagsApi
        .vocabulary(this.treeId)
        .then((rows) => {
          this.tagOffers = rows;
        })
        .catch(() => undefined)
        .finally(() => {
          this.tagOffersLoading = null;
          fill();
        });
  }

  /** Alt+T / Alt+N: the focused node's tag field or note, in the details panel. */
  private focusDetailsField(which: "tag" | "note"): void {
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

  private fillTagOptions(extra: string[] = []): void {
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

  private updateFilter(): void {
    const count = this.outliner.setFilter({
      text: this.findInput.value.trim(),
      type: this.typeSelect.value as NodeType | "",
      tag: this.tagSelect.value,
      unpatched: this.unpatched.checked,
      extra: this.analysis.filterExtra(),
    });
    this.countEl.textContent = this.outliner.isFiltering() ? `${count} match${count === 1 ? "" : "es"}` : "";
  }

  // ------------------------------------------------------------------ breadcrumbs & details

  private renderCrumbs(): void {
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

  private renderDetails(force = false): void {
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
    const note = h("textarea", { rows: 6, class: "note-input", "aria-label": "Note", placeholder: "Add a note, sources, reasoning…" });
    note.value = n.note;
    note.readOnly = ro;
    let timer: number | null = null;
    const saveNote = () => {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (this.noteDraft === saveNote) this.noteDraft = null;
      const cur = this.engine.view?.get(n.id);
      if (cur && !cur.deleted && cur.note !== note.value)
        this.outliner.edit([{ kind: "set", id: n.id, field: "note", value: note.value }], `note:${n.id}`);
      this.renderStatus();
    };
    on(note, "input", () => {
      if (timer !== null) clearTimeout(timer);
      timer = window.setTimeout(saveNote, 500);
      if (this.noteDraft !== saveNote) {
        this.noteDraft?.();
        this.noteDraft = saveNote;
        this.renderStatus();
      }
    });
    on(note, "blur", saveNote);
    const tagInput = h("input", {
      type: "text",
      class: "tag-input",
      placeholder: "Add tag, press Enter (Alt+T)",
      "aria-label": "Add a tag",
      maxlength: 64,
      list: "tag-offers",
      autocomplete: "off",
    });
    tagInput.readOnly = ro;
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
      h("div", { class: "field" }, h("span", { text: "Failure-mode tags" }), h("div", { class: "tag-list" }, ...this.tagChips(n)), tagInput),
      ...extra,
      h("div", { class: "row-actions" }, zoom, del),
      this.historyFor(n),
    );
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

  private historyCtx(): HistoryContext {
    return {
      treeId: this.treeId,
      readOnly: () => this.outliner.readOnly,
      edit: (ops) => this.outliner.edit(ops),
      userName: (id) => this.userName(id),
    };
  }

  /** The node's type, as a control where it can change (the explicit type switch). */
  private typeControl(n: TreeNode, ...after: Node[]): HTMLElement {
    const icon = h("span", { class: "icon", "aria-hidden": "true", text: TYPE_INFO[n.type].icon });
    const types = typesOf(this.engine.view!.kind);
    if (this.outliner.readOnly || types.length < 2)
      return h("div", { class: `dtype t-${n.type}` }, icon, TYPE_INFO[n.type].label, ...after);
    const select = h("select", { "aria-label": "Node type", title: "Change the type (Ctrl+Shift+1/2/3)" });
    types.forEach((t, i) => select.append(h("option", { value: t, text: `${TYPE_INFO[t].label} (Ctrl+Shift+${i + 1})` })));
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
    const results = h("ul", { class: "plain merge-results" });
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
    const results = h("ul", { class: "plain link-results" });
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
