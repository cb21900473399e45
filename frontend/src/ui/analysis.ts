/**
 * The analysis views of one tree (docs/analysis.md), wired into the tree page by small hooks:
 *
 * - survival badges on game-tree rows (computed locally by `core/survival.ts` after every
 *   applied op; only rows whose label or reason changed are patched), the reason in the
 *   details panel, and a "Broken proposals" filter in Find;
 * - the Analysis tab: a survival summary, the taut-constraint board and tag suggestions
 *   (game trees), or the merge review screen and the recurring-problems board (problem trees).
 */
import {
  analysisApi,
  api,
  type BoardItem,
  type BoardMember,
  type ReviewEvent,
  type ProblemRef,
  type SourceRef,
  type TagRow,
  type TagSuggestion,
  tagsApi,
  type TreeSummary,
} from "../api";
import { titleWithName } from "../core/people";
import { KeptList } from "../core/kept-list";
import type { SyncEngine } from "../core/sync";
import { SurvivalTracker, type Survival } from "../core/survival";
import type { Change, TreeNode } from "../core/types";
import { boardTable } from "./board";
import { h, initials, on, toast, userColor } from "./dom";
import type { Outliner } from "./outliner";
import { short } from "./outliner";
import { openProblemLinkDialog } from "./problem-link";
import { ReviewScreen } from "./review";
import { roundsApi } from "./workshop/wsapi";

export interface AnalysisContext {
  treeId: number;
  engine: SyncEngine;
  outliner(): Outliner;
  showTab(key: "outline" | "graph" | "analysis"): void;
  navigate(path: string): void;
  userName(id: number | null): string;
  /** A member's own name (never "you"): for the initials of who drew a merged node. */
  memberName(id: number): string;
  /** The titles of the trees one can open arrived (source lines can name them now). */
  onTitles?(): void;
  /** The workshop this tree belongs to, once the tree's details are read (else null). */
  workshop?(): number | null;
  /** The names of the workshop's people (user id, display name), read with its trees: a copy
   * for the next round names group-mates who are not its members. */
  knownNames?(names: [number, string][]): void;
}

/** Badge words per node type and status: icon + text, never colour alone. */
export function survivalWord(type: string, status: string): string {
  if (status === "contested") return "◐ contested";
  if (type === "critique") return status === "broken" ? "✓ answered" : "⚑ stands";
  if (type === "patch") return status === "broken" ? "✗ broken" : "✓ holds";
  return status === "broken" ? "✗ broken" : "✓ survives";
}

const AUTO_REFRESH_MS = 1500;

export class AnalysisController {
  readonly survival = new SurvivalTracker();
  readonly pane: HTMLElement;
  private readonly brokenBox = h("input", { type: "checkbox", id: "f-broken" });
  readonly brokenLabel = h("label", { for: "f-broken", title: "Proposals that do not survive their critiques" }, this.brokenBox, " Broken proposals");
  private titles = new Map<number, string>();
  /** The trees one can open, whose titles name a merged tree's sources: read when first
   * needed, again on each join of the page's socket (a read that failed, say offline, is not
   * kept: until one is answered the names show as "…"). */
  private readonly treeList = new KeptList<Pick<TreeSummary, "id" | "title">>(
    () => this.readTitles(),
    () => this.titlesRead(),
  );
  private shown = false;
  private built = false;
  private dirty = true;
  private refreshTimer: number | null = null;
  private summaryTimer: number | null = null;
  private hashDone = false;
  private review: ReviewScreen | null = null;
  // game-tree sections
  private readonly summaryBox = h("div", { class: "surv-summary" });
  private readonly boardBox = h("div", { class: "board-box" });
  private readonly boardStatus = h("span", { class: "muted small", role: "status" });
  private readonly tagsBox = h("div", { class: "tag-suggestions" });
  private loadingBoard = false;
  /** The board or the tag suggestions could not be read: the next join reads them again. */
  private readFailed = false;
  /** The last board shown, to re-render it when a tag's problem changes. */
  private lastBoard: { kind: string; items: BoardItem[] } | null = null;
  /** The signed-in user's failure modes by tag: the problems their tags point at. */
  private tagRows = new Map<string, TagRow>();

  constructor(private readonly ctx: AnalysisContext) {
    this.pane = h("div", { class: "analysis", "data-slot": "analysis" }, h("p", { class: "muted", text: "Loading…" }));
    this.brokenLabel.hidden = true;
  }

  private get view() {
    return this.ctx.engine.view;
  }

  // ------------------------------------------------------------------ hooks from the page

  /** The whole tree was (re)loaded: relabel before the outline renders. */
  onReset(): void {
    const v = this.view;
    if (!v) return;
    this.survival.update(v);
    this.brokenLabel.hidden = v.kind !== "game";
    this.dirty = true;
    if (this.built && this.shown) this.scheduleRefresh();
    this.review?.refreshLinks();
    if (v.kind === "problem") void this.loadTitles();
  }

  /** The page's socket joined the tree's broadcasts (once per connection, reconnections
   * included): what the review queue missed meanwhile is read again, and so is a queue or a
   * board that could not be read (the tab opened offline), and the titles naming the sources
   * (read once before: one may have been renamed or shared meanwhile, or the read failed). A
   * snapshot alone does not call for it: it comes on a socket that has joined (the hello's
   * answer, or read over HTTP when that is too big), or repairs the page's own copy of the
   * tree. */
  onJoined(): void {
    this.review?.onJoined();
    this.treeList.joined();
    if (this.readFailed) {
      this.dirty = true;
      if (this.shown) this.refresh();
    }
  }

  /** Re-render the "drawn by" chips (member names or tree titles arrived). */
  refreshDrawn(): void {
    const v = this.view;
    if (!v || v.kind !== "problem") return;
    const ids: string[] = [];
    for (const n of v.nodes.values()) if (!n.deleted && Array.isArray(n.meta?.sources)) ids.push(n.id);
    if (ids.length) this.ctx.outliner().refreshBadges(ids);
  }

  /** Ops were applied: relabel (linear, ~1 ms for 5,000 nodes) and patch the changed rows. */
  onChanges(_changes: Change[]): string[] {
    const v = this.view;
    if (!v) return [];
    let changed: string[] = [];
    if (v.kind === "game") {
      changed = this.survival.update(v);
      if (changed.length) this.ctx.outliner().refreshBadges(changed);
      if (changed.length && this.shown) this.scheduleSummary();
    } else if (this.review && this.shown) {
      this.scheduleSummary();
    }
    this.dirty = true;
    if (this.shown) this.scheduleRefresh();
    return changed;
  }

  /** The outline finished rendering: honour #node=<id>, #review and #analysis once. */
  onRendered(): void {
    if (this.hashDone) return;
    this.hashDone = true;
    const hash = decodeURIComponent(location.hash.slice(1));
    if (!hash) return;
    const m = hash.match(/^node=(.+)$/);
    if (m) {
      this.jump(m[1]);
      return;
    }
    if (hash === "review" || hash === "analysis") this.ctx.showTab("analysis");
  }

  onMessage(msg: { type: string } & Record<string, unknown>): void {
    if (msg.type === "review") this.review?.onEvent(msg as unknown as ReviewEvent);
  }

  /** The survival badge of a row (game trees); who drew it (merged problem trees). */
  badge(n: TreeNode): HTMLElement | null {
    const s = this.survival.get(n.id);
    if (s) return badgeEl(n.type, s);
    return this.drawnBy(n);
  }

  /**
   * Who drew a merged node: one initials chip per author of its sources (`meta.sources`), in
   * their colour, the names and source trees in the title. Nodes added after the merge have no
   * sources and get no chip (their author is in the details panel).
   */
  drawnBy(n: TreeNode): HTMLElement | null {
    const sources = n.meta?.sources;
    if (!Array.isArray(sources) || !sources.length) return null;
    const authors = new Map<number, string[]>();
    for (const src of sources as SourceRef[]) {
      if (typeof src?.author !== "number") continue;
      const trees = authors.get(src.author) ?? [];
      trees.push(this.titles.get(src.tree) ?? `tree ${src.tree}`);
      authors.set(src.author, trees);
    }
    if (!authors.size) return null;
    const names = [...authors].map(([id, trees]) => `${this.ctx.memberName(id)} (${trees.join(", ")})`);
    const box = h("span", {
      class: "badge drawn",
      title: `Drawn by ${names.join("; ")}`,
      "aria-label": `Drawn by ${[...authors.keys()].map((id) => this.ctx.memberName(id)).join(", ")}`,
    });
    const ids = [...authors.keys()];
    for (const id of ids.slice(0, 4)) {
      const chip = h("span", { class: "who-chip", "aria-hidden": "true", text: initials(this.ctx.memberName(id)) });
      chip.style.setProperty("--c", userColor(id));
      box.append(chip);
    }
    if (ids.length > 4) box.append(h("span", { class: "muted", "aria-hidden": "true", text: `+${ids.length - 4}` }));
    const aliases = n.meta?.aliases;
    if (Array.isArray(aliases) && aliases.length) {
      const aka = `Also called: ${aliases.map((a) => `“${String(a)}”`).join(", ")}`;
      box.append(h("span", { class: "aka", title: aka, "aria-label": aka, text: `aka ${aliases.length}` }));
    }
    return box;
  }

  /** The "Broken proposals" condition for Find, or null when it is off. */
  filterExtra(): ((n: TreeNode) => boolean) | null {
    if (!this.brokenBox.checked || this.view?.kind !== "game") return null;
    return (n) => n.type === "proposal" && this.survival.get(n.id)?.status === "broken";
  }

  onFilterChange(fn: () => void): void {
    on(this.brokenBox, "change", fn);
  }

  /** Lines for the details panel: why a node survives or not; where a merged node came from. */
  details(n: TreeNode): Node[] {
    const out: Node[] = [];
    const s = this.survival.get(n.id);
    if (s) {
      const box = h("div", { class: `surv-detail s-${s.status}` }, h("h3", { text: "Survival" }));
      box.append(h("p", {}, badgeEl(n.type, s), " ", h("span", { class: "surv-reason", text: s.reason })));
      if (s.by.length > 1 || (s.by.length === 1 && s.status !== "survives")) {
        const what =
          s.status === "contested" ? "Undecided attackers" : n.type === "critique" ? "Surviving patches" : "Unanswered critiques";
        box.append(h("p", { class: "muted small", text: `${what} (${s.by.length}):` }));
        const ul = h("ul", { class: "plain surv-by" });
        for (const id of s.by) {
          const b = this.view?.get(id);
          if (!b) continue;
          const btn = h("button", { type: "button", class: "link", text: short(b.text, 60) });
          on(btn, "click", () => this.jump(id));
          ul.append(h("li", {}, btn));
        }
        box.append(ul);
      }
      out.push(box);
    }
    const sources = (n.meta?.sources ?? null) as SourceRef[] | null;
    if (Array.isArray(sources) && sources.length) {
      void this.loadTitles();
      const ul = h("ul", { class: "plain sources" });
      for (const src of sources.slice(0, 12)) ul.append(h("li", { text: this.sourceText(src) }));
      out.push(h("div", { class: "field" }, h("span", { text: `Drawn in ${sources.length} source${sources.length === 1 ? "" : "s"}` }), ul));
    }
    return out;
  }

  /** The Analysis tab was opened. */
  show(): void {
    this.shown = true;
    if (!this.built) void this.build();
    else if (this.dirty) this.refresh();
  }

  hide(): void {
    this.shown = false;
  }

  destroy(): void {
    if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    if (this.summaryTimer !== null) clearTimeout(this.summaryTimer);
    this.shown = false;
  }

  /** Show a node in the outliner. */
  jump(id: string): void {
    const n = this.view?.get(id);
    if (!n || n.deleted) {
      toast("That node is no longer in this tree.", { kind: "warn" });
      return;
    }
    this.ctx.showTab("outline");
    const o = this.ctx.outliner();
    o.focusNode(id, "end");
  }

  // ------------------------------------------------------------------ the Analysis tab

  private async build(): Promise<void> {
    const v = this.view;
    if (!v) {
      // Not loaded yet: try again when it is.
      window.setTimeout(() => this.shown && !this.built && void this.build(), 200);
      return;
    }
    this.built = true;
    void this.loadTitles();
    if (v.kind === "game") {
      const refresh = h("button", { type: "button", class: "subtle", text: "Refresh" });
      on(refresh, "click", () => this.refresh());
      this.pane.replaceChildren(
        h("section", { class: "card an-section an-survival" }, h("h2", { text: "Survival" }), this.summaryBox),
        h(
          "section",
          { class: "card an-section an-board" },
          h("div", { class: "an-head" }, h("h2", { text: "Taut constraints" }), this.boardStatus, h("span", { class: "spacer" }), refresh),
          h("p", {
            class: "muted small",
            text: "Failure modes ranked by how many proposals they hit and break, how many people raised them, and how often they come back below a patch. Click a row for its critiques.",
          }),
          this.boardBox,
        ),
        h(
          "section",
          { class: "card an-section an-tags" },
          h("h2", { text: "Tag suggestions" }),
          h("p", { class: "muted small", text: "Untagged critiques and the failure-mode tags of the most similar tagged ones. Accepting sets the tag like any edit (Ctrl+Z undoes it)." }),
          this.tagsBox,
        ),
      );
      this.renderSummary();
    } else {
      const refresh = h("button", { type: "button", class: "subtle", text: "Refresh" });
      on(refresh, "click", () => this.refresh());
      this.review = new ReviewScreen({
        treeId: this.ctx.treeId,
        treeTitle: (id) => (this.titlesKnown ? treeName(this.titles.get(id)) : null),
        userName: (id) => this.ctx.userName(id),
        hasNode: (id) => id !== null && !!this.view?.get(id) && !this.view.get(id)!.deleted,
        nodeText: (id) => this.view?.get(id)?.text,
        jump: (id) => this.jump(id),
        readOnly: () => this.ctx.outliner().readOnly,
        merged: () => [...(this.view?.nodes.values() ?? [])].some((n) => Array.isArray(n.meta?.sources)),
      });
      this.pane.replaceChildren(
        this.review.el,
        h(
          "section",
          { class: "card an-section an-board" },
          h("div", { class: "an-head" }, h("h2", { text: "Most recurring problems" }), this.boardStatus, h("span", { class: "spacer" }), refresh),
          h("p", { class: "muted small", text: "Problems ranked by how many top-level problems they lie under times the share of source trees that drew them." }),
          this.boardBox,
        ),
      );
      await this.loadTitles();
      await this.review.load();
    }
    this.refresh();
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer !== null) return;
    this.refreshTimer = window.setTimeout(() => {
      this.refreshTimer = null;
      if (this.shown && this.dirty) this.refresh();
    }, AUTO_REFRESH_MS);
  }

  private scheduleSummary(): void {
    if (this.summaryTimer !== null) return;
    this.summaryTimer = window.setTimeout(() => {
      this.summaryTimer = null;
      this.renderSummary();
      this.review?.refreshLinks();
    }, 150);
  }

  private refresh(): void {
    this.dirty = false;
    this.readFailed = false;
    const board = this.loadBoard();
    if (this.view?.kind === "game") {
      this.renderSummary();
      // Asked after the board has answered, not beside it: both are computed in the
      // Analysis's worker processes, a serving process keeps one of them warm, and a second
      // request at the same moment started a cold worker (seconds) on the tab's first
      // opening after a restart (bench/RESULTS.md "First Analysis on a fresh server"). The
      // board is what the tab is opened for; one person's tab also takes one worker, not two.
      void board.then(() => this.loadTagSuggestions());
    } else {
      void board;
    }
  }

  private renderSummary(): void {
    const v = this.view;
    if (!v || v.kind !== "game") return;
    const c = this.survival.proposalCounts(v);
    const total = c.survives + c.broken + c.contested;
    const head = h(
      "p",
      { class: "surv-counts" },
      h("strong", { text: `${c.survives} of ${total}` }),
      ` proposal${total === 1 ? "" : "s"} survive${c.survives === 1 ? "s" : ""}; `,
      h("strong", { text: String(c.broken) }),
      " broken",
      c.contested ? `; ${c.contested} contested` : "",
      ".",
    );
    const ul = h("ul", { class: "plain surv-list" });
    for (const p of v.liveChildren(null)) {
      const s = this.survival.get(p.id);
      if (!s || p.type !== "proposal") continue;
      const b = h("button", { type: "button", class: "surv-item", title: "Show it in the outline" });
      b.append(
        badgeEl(p.type, s),
        h("span", { class: "surv-body" }, h("span", { class: "surv-text", text: short(p.text, 160) }), h("span", { class: "surv-why", text: s.reason })),
      );
      on(b, "click", () => this.jump(p.id));
      ul.append(h("li", {}, b));
    }
    this.summaryBox.replaceChildren(head, ul);
  }

  private async loadBoard(): Promise<void> {
    if (this.loadingBoard) {
      this.dirty = true;
      return;
    }
    this.loadingBoard = true;
    this.boardStatus.textContent = "Updating…";
    try {
      const game = this.view?.kind === "game";
      const [data, tags] = await Promise.all([
        analysisApi.recurring([this.ctx.treeId], 50),
        // The board still shows without the links if they cannot be read.
        game ? tagsApi.list().catch(() => null) : Promise.resolve(null),
      ]);
      if (tags) this.tagRows = new Map(tags.map((t) => [t.tag, t]));
      this.renderBoard(data.kind, data.items);
      this.boardStatus.textContent = "";
    } catch (e) {
      this.boardStatus.textContent = "";
      this.readFailed = true;
      this.boardBox.replaceChildren(h("p", { class: "error", text: `Could not rank failure modes: ${(e as Error).message}` }));
    } finally {
      this.loadingBoard = false;
    }
  }

  private renderBoard(kind: string, items: BoardItem[]): void {
    this.lastBoard = { kind, items };
    // Keep open drill-downs open across refreshes.
    const open = new Set(
      [...this.boardBox.querySelectorAll<HTMLElement>("tbody.board-item")]
        .filter((b) => b.querySelector(".board-label[aria-expanded='true']"))
        .map((b) => b.dataset.label ?? ""),
    );
    const table = boardTable(kind, items, {
      currentTree: this.ctx.treeId,
      treeTitle: (id) => this.titles.get(id) ?? null,
      onJump: (m) => this.jumpMember(m),
      problemOf: (tag) => this.tagRows.get(tag)?.problem ?? null,
      onOpenProblem: (ref) => this.openProblem(ref),
      onEditProblem: (tag) =>
        openProblemLinkDialog({
          tag,
          current: this.tagRows.get(tag),
          onSaved: (row) => {
            this.tagRows.set(row.tag, row);
            if (this.lastBoard) this.renderBoard(this.lastBoard.kind, this.lastBoard.items);
            toast(row.problem ? `#${row.tag} now shows “${short(row.problem.label ?? "", 60)}”.` : `#${row.tag} links to no problem now.`);
          },
        }),
    });
    this.boardBox.replaceChildren(table);
    for (const b of table.querySelectorAll<HTMLElement>("tbody.board-item"))
      if (open.has(b.dataset.label ?? "")) b.querySelector<HTMLButtonElement>(".board-label")?.click();
  }

  private openProblem(ref: ProblemRef): void {
    if (ref.tree === this.ctx.treeId) this.jump(ref.node);
    else this.ctx.navigate(`/app/trees/${ref.tree}#node=${encodeURIComponent(ref.node)}`);
  }

  private jumpMember(m: BoardMember): void {
    if (m.tree === undefined || m.tree === this.ctx.treeId) this.jump(m.node);
    else this.ctx.navigate(`/app/trees/${m.tree}#node=${encodeURIComponent(m.node)}`);
  }

  private async loadTagSuggestions(): Promise<void> {
    let list: TagSuggestion[];
    try {
      list = await analysisApi.tagSuggestions(this.ctx.treeId);
    } catch (e) {
      this.readFailed = true;
      this.tagsBox.replaceChildren(h("p", { class: "error", text: `Could not load suggestions: ${(e as Error).message}` }));
      return;
    }
    const v = this.view;
    if (!v) return;
    const ro = this.ctx.outliner().readOnly;
    const items = list.filter((s) => (s.tree === undefined || s.tree === this.ctx.treeId) && v.get(s.node) && !v.get(s.node)!.deleted && v.get(s.node)!.tags.length === 0);
    if (!items.length) {
      this.tagsBox.replaceChildren(h("p", { class: "muted", text: "No suggestions: every critique is tagged, or none resembles a tagged one." }));
      return;
    }
    const ul = h("ul", { class: "plain tag-sugg-list" });
    for (const s of items) {
      const node = v.get(s.node)!;
      const go = h("button", { type: "button", class: "link sugg-node", title: "Show it in the outline", text: short(node.text || s.label, 90) });
      on(go, "click", () => this.jump(s.node));
      const chips = h("div", { class: "sugg-tags" });
      for (const t of s.suggestions) {
        const b = h("button", {
          type: "button",
          class: "tag-accept",
          title: `Score ${t.score.toFixed(2)}; like: ${t.neighbours.map((n) => n.label).slice(0, 3).join("; ")}`,
          "aria-label": `Tag it #${t.tag}`,
        });
        b.append(h("span", { text: `#${t.tag}` }), " ", h("span", { class: "muted small", text: t.score.toFixed(2) }), " ", h("span", { class: "plus", "aria-hidden": "true", text: "+" }));
        b.disabled = ro;
        on(b, "click", () => this.acceptTag(s.node, t.tag, li));
        chips.append(b);
      }
      const li = h("li", { class: "tag-sugg", "data-node": s.node }, go, chips);
      ul.append(li);
    }
    this.tagsBox.replaceChildren(ul);
  }

  private acceptTag(id: string, tag: string, li: HTMLElement): void {
    const cur = this.view?.get(id);
    if (!cur || cur.deleted) return;
    if (cur.tags.includes(tag)) {
      li.remove();
      return;
    }
    const o = this.ctx.outliner();
    if (o.edit([{ kind: "set", id, field: "tags", value: [...cur.tags, tag] }])) {
      li.remove();
      toast(`Tagged “${short(cur.text)}” #${tag}.`, { actions: [{ label: "Undo", run: () => o.undoRedo(false) }] });
      if (!this.tagsBox.querySelector("li.tag-sugg"))
        this.tagsBox.replaceChildren(h("p", { class: "muted", text: "All suggestions handled." }));
    }
  }

  // ------------------------------------------------------------------ tree titles

  /** Settles when the titles were read (or their read failed: "…" stays until a join). */
  private loadTitles(): Promise<void> {
    return this.treeList.need();
  }

  /** The trees one is a member of, and in a workshop the ones it lets one open: a group's
   * merged tree draws on group-mates' trees that are in no one else's tree list, though the
   * workshop page opens them once the round has ended. */
  private async readTitles(): Promise<Pick<TreeSummary, "id" | "title">[]> {
    const workshop = this.ctx.workshop?.() ?? null;
    const [rows, home] = await Promise.all([api.trees(), workshop === null ? null : roundsApi.home(workshop)]);
    if (home) this.ctx.knownNames?.(home.participants.map((p) => [p.user, p.display_name]));
    const out: Pick<TreeSummary, "id" | "title">[] = [...rows];
    const known = new Set(rows.map((t) => t.id));
    for (const e of home?.exercises ?? [])
      for (const t of e.trees) {
        if (known.has(t.tree)) continue;
        known.add(t.tree);
        out.push({ id: t.tree, title: t.title });
      }
    return out;
  }

  /** The tree's workshop became known: its trees may name more sources. */
  workshopKnown(): void {
    if (this.treeList.answered) this.treeList.changed();
  }

  /** A read of the titles ended: whatever names a source is drawn again. */
  private titlesRead(): void {
    if (!this.treeList.answered) return;
    this.titles = new Map(this.treeList.rows.map((t) => [t.id, t.title]));
    this.titlesKnown = true;
    this.ctx.onTitles?.();
    this.refreshDrawn();
    this.review?.retitled();
  }

  private titlesKnown = false;

  private sourceText(src: SourceRef): string {
    const tree = treeName(this.titles.get(src.tree), this.titlesKnown);
    const author =
      src.author === null || src.author === undefined ? "" : typeof src.author === "number" ? this.ctx.userName(src.author) : String(src.author);
    return `${titleWithName(tree, author, (t, n) => `${t} · ${n}`)}${src.label ? `: “${src.label}”` : ""}`;
  }
}

/**
 * A tree's title as one may see it: a tree one cannot open is never named (nor numbered:
 * "tree 5" said nothing and invited guessing); before the titles arrive, an ellipsis.
 */
export function treeName(title: string | null | undefined, known = true): string {
  if (title !== null && title !== undefined) return title || "(untitled)";
  return known ? "a tree not shared with you" : "…";
}

function badgeEl(type: string, s: Survival): HTMLElement {
  return h("span", {
    class: `badge surv s-${s.status}${type === "critique" ? " crit" : ""}`,
    "data-status": s.status,
    title: s.reason,
    text: survivalWord(type, s.status),
  });
}
