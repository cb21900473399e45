/**
 * The tree page's layout: the header (title, roster, status, fork button, banner), the tabs
 * (outline, graph, analysis), the help dialog and the page-wide keys.
 */
import { api } from "../api";
import { personName } from "../core/people";
import type { PresenceInfo } from "../core/sync";
import type { User } from "../core/types";
import { h, on, reserveBottom, userColor } from "./dom";
import { downloadMenu } from "./export";
import { short } from "./outliner";
import { openForkDialog } from "./fork";
import { openTrash, openVersions } from "./history";
import { TreePagePanels } from "./treepage-panels";

const SHORTCUTS: [string, string][] = [
  ["Enter", "New node below (same type); in the middle of the text, split it at the caret"],
  ["Tab", "Indent: make it a child of the node above (its type follows the grammar; a change is announced)"],
  ["Shift+Tab", "Outdent (a type change is announced)"],
  ["Ctrl+Shift+1 / 2 / 3", "Make it a proposal / critique / patch (moves it where that type goes; also the type menu in the details)"],
  ["↑ / ↓", "Move focus to the previous / next node"],
  ["Alt+↑ / Alt+↓", "Move the node up / down among its siblings"],
  ["Ctrl+V (several lines)", "Paste a list: one node per line, nested by indentation (one Ctrl+Z takes it back)"],
  ["Backspace", "On an empty node: delete it"],
  ["Ctrl+Shift+Backspace", "Delete the node and its subtree"],
  ["Ctrl+Z / Ctrl+Shift+Z", "Undo / redo your own edits"],
  ["Ctrl+↑ / Ctrl+↓, Ctrl+.", "Collapse / expand / toggle"],
  ["Alt+→ / Alt+←", "Zoom into the node / back out"],
  ["Esc", "Stop editing (in the tag or note field: back to the node)"],
  ["Esc, then Tab / Shift+Tab", "Leave the outline: to the node's details / back to the filters"],
  ["Alt+T", "Tags of the focused node: type a tag (suggestions as you type), Enter adds it"],
  ["Alt+N", "Note of the focused node"],
  ["/", "Find"],
  ["?", "This help"],
];

export abstract class TreePageLayout extends TreePagePanels {
  /** Edits not acknowledged yet (treepage.ts). */
  abstract unsaved(): number;

  // ------------------------------------------------------------------ layout

  protected build(): HTMLElement {
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
      this.meEl,
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
    this.renderMe();
    return root;
  }

  protected showTab(key: string): void {
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

  protected markGraphDirty(): void {
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

  protected buildHelp(): HTMLDialogElement {
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

  protected listenGlobalKeys(): () => void {
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
  /** Fork is for merged problem trees, and for the people who may edit them. */
  protected renderForkButton(): void {
    const role = this.summary?.role;
    // A workshop's next round makes each person's copy: a fork made here would be no round's.
    this.forkBtn.hidden =
      !this.merged || this.summary?.kind !== "problem" || role === "viewer" || this.outliner.readOnly || !!this.summary?.workshop;
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
  protected renderStatus(): void {
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

  protected onPresence(all: Map<string, PresenceInfo>): void {
    const people = new Map<number, { user: User; count: number; typingIn: string | null }>();
    for (const p of all.values()) {
      this.members.set(p.user.id, personName(p.user));
      const typingIn = p.typing ? p.node : null;
      const e = people.get(p.user.id);
      if (e) {
        e.count++;
        e.typingIn ??= typingIn;
      } else people.set(p.user.id, { user: p.user, count: 1, typingIn });
    }
    const items: HTMLElement[] = [];
    const myName = this.myName();
    const meChip = h("li", { class: "person me", title: `${myName} (you)`, text: myName });
    meChip.style.setProperty("--c", userColor(this.ctx.me.id));
    items.push(meChip);
    for (const { user, typingIn } of people.values()) {
      if (user.id === this.ctx.me.id) continue;
      const where = typingIn ? this.engine.view?.get(typingIn) : undefined;
      const name = personName(user);
      const title = typingIn ? `${name} is typing in “${short(where?.text ?? "", 60)}”` : `${name} is here`;
      const li = h("li", { class: typingIn ? "person typing" : "person", title, text: name });
      li.style.setProperty("--c", userColor(user.id));
      items.push(li);
    }
    this.rosterEl.replaceChildren(...items);
    this.outliner.setPresence(all.values());
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
}
