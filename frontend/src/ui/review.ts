/**
 * The merge review screen of a merged problem tree (docs/analysis.md, "Merging problem
 * trees"): the queue of suggested matches with progress, both labels and their sources, the
 * score and its explanation, Accept / Reject / pick another of the top-3 candidates, Undo on
 * decided ones, and the disagreements. Decisions go to the REST endpoints; everyone's queue
 * follows the `review` websocket messages. The ops an accept makes reach the outline through
 * the normal sync engine.
 */
import {
  analysisApi,
  ApiError,
  type Conflict,
  type Disagreement,
  type ReviewEvent,
  type ReviewProgress,
  type ReviewQueue,
  type ReviewSide,
  type ReviewSuggestion,
  type SourceRef,
} from "../api";
import { Rereads } from "../core/rereads";
import { personName, titleWithName } from "../core/people";
import { h, on, toast } from "./dom";

export interface ReviewContext {
  treeId: number;
  treeTitle(id: number): string | null;
  userName(id: number | null): string;
  /** Is this node live in the tree? (for the "show" links) */
  hasNode(id: string | null): boolean;
  /** A live node's current text (names what an accepted pair became). */
  nodeText?(id: string): string | undefined;
  jump(node: string): void;
  readOnly(): boolean;
  /** Does the tree hold nodes merged from source trees? (the screen shows then, even with
   * nothing to review) */
  merged(): boolean;
}

type Show = "all" | "pending" | "decided";

const sid = (s: ReviewSuggestion) => String(s.id);

export class ReviewScreen {
  readonly el: HTMLElement;
  private queue: ReviewQueue | null = null;
  /** Reads of the queue in flight, and whether one more is due after them (core/rereads.ts). */
  private readonly reads = new Rereads();
  private readonly list = h("ol", { class: "review-queue", "aria-label": "Suggested matches" });
  private readonly progressText = h("span", { class: "review-progress-text", role: "status" });
  private readonly progressBar = h("progress", { class: "review-progress", max: 1, value: 0 });
  private readonly showSelect = h(
    "select",
    { "aria-label": "Show suggestions" },
    h("option", { value: "all", text: "All suggestions" }),
    h("option", { value: "pending", text: "Pending only" }),
    h("option", { value: "decided", text: "Decided only" }),
  );
  private readonly disagreeBox = h("section", { class: "review-disagreements", hidden: true });
  /** Why the queue could not be read, while none is shown. */
  private readonly failNote = h("p", { class: "error", hidden: true });
  private readonly rows = new Map<string, HTMLLIElement>();
  private readonly busy = new Set<string>();

  constructor(private readonly ctx: ReviewContext) {
    on(this.showSelect, "change", () => this.applyShow());
    this.el = h(
      "section",
      { class: "review card", "aria-labelledby": `review-title-${ctx.treeId}`, hidden: true },
      h(
        "div",
        { class: "review-head" },
        h("h2", { id: `review-title-${ctx.treeId}`, text: "Merge review" }),
        h("div", { class: "review-progress-wrap" }, this.progressBar, this.progressText),
        h("span", { class: "spacer" }),
        this.showSelect,
      ),
      h("p", {
        class: "muted small",
        text: "Each suggestion says two problems drawn in different trees may be the same. Accept merges the second into the first (its children and parents move over, its sources are kept) and keeps A's label, Keep B's label keeps B's; the other label stays on the node as an alias. Reject keeps both and is remembered by later merges. Merge any two problems by hand, or split a merged one, from the node's details.",
      }),
      this.failNote,
      this.list,
      this.disagreeBox,
    );
  }

  /**
   * Read the queue and show it; the screen shows itself when there is anything to review or
   * the tree was merged, and stays hidden on a tree with no queue (not a merged tree). A read
   * that fails while no queue is shown is said in the screen, and the queue is read again
   * when the page's socket joins the tree's broadcasts (the page may have been offline).
   */
  async load(): Promise<void> {
    try {
      await this.reload();
    } catch (e) {
      if (e instanceof ApiError && (e.status === 404 || e.code === "not_found")) {
        this.reads.none();
        this.el.hidden = true;
      } else if (!this.queue) {
        this.failNote.textContent = `Could not load the review queue: ${(e as Error).message}`;
        this.failNote.hidden = false;
        this.el.hidden = false;
      }
    }
  }

  private show(queue: ReviewQueue): void {
    this.queue = queue;
    this.failNote.hidden = true;
    this.renderAll();
    this.el.hidden = !(queue.suggestions.length > 0 || queue.disagreements.length > 0 || this.ctx.merged());
  }

  private async read(): Promise<ReviewQueue> {
    this.reads.begin();
    try {
      return await analysisApi.review(this.ctx.treeId);
    } finally {
      this.reads.end();
    }
  }

  /** The page's socket (re)joined the tree's broadcasts (once per connection): decisions
   * announced before, while it was offline or before its first socket joined, reached it as
   * no `review` event. Read the queue again if one is shown or its read failed (the Analysis
   * tab opened offline); a read in flight may predate the join, so it is followed by one more
   * instead. */
  onJoined(): void {
    if (this.reads.joined()) void this.load();
  }

  /** A decision announced while the queue was being read may be missing from what was read
   * (someone settled a conflict just as this page opened the review), and so may one announced
   * before the socket joined: read it once more. */
  private catchUp(): void {
    if (this.reads.again()) void this.load();
  }

  /** A `review` websocket message: someone (maybe us) decided or undid a suggestion. */
  onEvent(ev: ReviewEvent): void {
    this.reads.announced();
    if (!this.queue) return;
    if (ev.conflict) this.applyConflict(ev.conflict);
    if (ev.suggestion) this.applySuggestion(ev.suggestion, ev.progress, true);
  }

  private applyConflict(c: Conflict): void {
    const list = this.queue?.conflicts;
    if (!list) return;
    const i = list.findIndex((x) => x.index === c.index);
    if (i >= 0) list[i] = c;
    this.renderDisagreements(this.queue!.disagreements ?? [], list);
  }

  private applySuggestion(s: ReviewSuggestion, progress: ReviewProgress | undefined, flash: boolean): void {
    if (!this.queue) return;
    if (progress && progress.total !== this.queue.progress.total) {
      // The decision joined (or split) other pairs: the server serves one suggestion per pair
      // of merged nodes, so the queue itself changed. Read it again.
      void this.load();
      return;
    }
    const i = this.queue.suggestions.findIndex((x) => sid(x) === sid(s));
    const before = i >= 0 ? this.queue.suggestions[i].status : null;
    if (i >= 0) this.queue.suggestions[i] = s;
    else this.queue.suggestions.push(s);
    if (progress) this.queue.progress = progress;
    else this.queue.progress = { done: this.queue.suggestions.filter((x) => x.status !== "pending").length, total: this.queue.suggestions.length };
    this.renderProgress();
    const old = this.rows.get(sid(s));
    const li = this.renderItem(s);
    if (old) old.replaceWith(li);
    else this.list.append(li);
    this.rows.set(sid(s), li);
    if (flash && before !== s.status) {
      li.classList.add("flash");
      window.setTimeout(() => li.classList.remove("flash"), 1600);
    }
    this.applyShow();
  }

  private renderAll(): void {
    const q = this.queue!;
    this.rows.clear();
    this.list.replaceChildren();
    for (const s of q.suggestions) {
      const li = this.renderItem(s);
      this.rows.set(sid(s), li);
      this.list.append(li);
    }
    if (!q.suggestions.length)
      this.list.append(h("li", { class: "muted empty", text: "No suggestions to review: every match was certain or there were none." }));
    this.renderProgress();
    this.renderDisagreements(q.disagreements ?? [], q.conflicts ?? []);
    this.applyShow();
  }

  private renderProgress(): void {
    const p = this.queue!.progress;
    this.progressBar.max = Math.max(1, p.total);
    this.progressBar.value = p.done;
    this.progressText.textContent = `${p.done} of ${p.total} decided`;
  }

  private applyShow(): void {
    const show = this.showSelect.value as Show;
    for (const li of this.rows.values()) {
      const st = li.dataset.status;
      li.hidden = show === "pending" ? st !== "pending" : show === "decided" ? st === "pending" : false;
    }
  }

  private renderDisagreements(list: Disagreement[], conflicts: Conflict[]): void {
    this.disagreeBox.hidden = !list.length && !conflicts.length;
    const parts: Node[] = [];
    if (list.length) {
      const ul = h("ul", { class: "plain" });
      for (const d of list) ul.append(h("li", { class: "disagreement", text: d.message ?? "The trees disagree about the order of some problems." }));
      parts.push(
        h("h3", { text: `Disagreements (${list.length})` }),
        h("p", { class: "muted small", text: "Trees that put the same problems in opposite order; the merge kept the order most trees agree on." }),
        ul,
      );
    }
    if (conflicts.length) {
      const ul = h("ul", { class: "plain conflicts" });
      for (const c of conflicts) ul.append(this.renderConflict(c));
      const open = conflicts.filter((c) => !c.resolved).length;
      parts.push(
        h("h3", { text: `Conflicting edits (${open} of ${conflicts.length} open)` }),
        h("p", { class: "muted small", text: "Copies of one tree changed the same problem differently; the merge kept the base. Pick whose version stays." }),
        ul,
      );
    }
    this.disagreeBox.replaceChildren(...parts);
  }

  /** One conflict: the node, the base and each person's version, each with a pick. */
  private renderConflict(c: Conflict): HTMLLIElement {
    const li = h("li", { class: `conflict${c.resolved ? " resolved" : ""}`, "data-index": String(c.index) });
    const head = h("div", { class: "conflict-head" });
    const node = c.merged?.node ?? null;
    if (node !== null && this.ctx.hasNode(node)) {
      const b = h("button", { type: "button", class: "link", title: "Show it in the outline", text: c.merged!.text || "(empty)" });
      on(b, "click", () => this.ctx.jump(node));
      head.append(b);
    } else head.append(h("span", { text: c.merged?.text ?? c.base ?? "(a problem no longer in the tree)" }));
    head.append(" ", h("span", { class: "muted small", text: c.field === "text" ? "was edited differently" : "was deleted in one copy and kept in another" }));
    li.append(head);
    const ro = this.ctx.readOnly() || !c.merged;
    const choices: [string, string, string][] = [["base", "Base", c.base], ...c.changes.map((x) => [String(x.tree), x.person_name || x.person || this.ctx.treeTitle(x.tree) || `tree ${x.tree}`, x.value] as [string, string, string])];
    const ul = h("ul", { class: "plain conflict-choices" });
    for (const [pick, who, value] of choices) {
      const chosen = c.resolved?.pick === pick;
      const row = h("li", { class: chosen ? "chosen" : "" }, h("span", { class: "who", text: `${who}: ` }), h("q", { text: value }));
      const btn = h("button", { type: "button", class: chosen ? "primary small" : "subtle small", text: chosen ? "Picked" : "Pick", "aria-label": `Pick ${who}'s version: ${value}` });
      btn.disabled = ro || chosen;
      on(btn, "click", () => void this.pickConflict(c, pick));
      row.append(" ", btn);
      ul.append(row);
    }
    li.append(ul);
    if (c.resolved) li.append(h("p", { class: "muted small decided", text: `Settled by ${personName(c.resolved.by)}: “${c.resolved.value}”` }));
    return li;
  }

  private async pickConflict(c: Conflict, pick: string): Promise<void> {
    try {
      this.applyConflict(await analysisApi.pickConflict(this.ctx.treeId, c.index, pick));
    } catch (e) {
      toast(`Could not settle the conflict: ${(e as Error).message}`, { kind: "error" });
    }
  }

  // ------------------------------------------------------------------ one suggestion

  private renderItem(s: ReviewSuggestion): HTMLLIElement {
    const id = sid(s);
    const li = h("li", { class: `sugg st-${s.status}`, "data-sid": id, "data-status": s.status });
    const statusChip = h("span", { class: `chip st-${s.status}`, text: statusWord(s.status) });
    li.append(
      h(
        "div",
        { class: "sugg-head" },
        statusChip,
        h("span", { class: "chip sc", title: "Match score (0 to 1)", text: `score ${fmt(s.score)}` }),
        h("span", { class: "why", text: s.explanation || "" }),
      ),
      h(
        "div",
        { class: "pair" },
        this.side(s.a, "A"),
        h("div", { class: "vs", "aria-hidden": "true", text: "≟" }),
        this.side(s.b, "B", s.status === "accepted" && !!s.picked),
      ),
    );
    const actions = h("div", { class: "sugg-actions" });
    const ro = this.ctx.readOnly();
    const busy = this.busy.has(id);
    if (s.status === "pending") {
      const accept = h("button", { type: "button", class: "primary", text: "Accept", title: "Same problem: merge B into A, keeping A's label (B's stays as an alias)" });
      const keepB = h("button", { type: "button", class: "keep-b", text: "Keep B's label", title: "Same problem: merge them, keeping B's label (A's stays as an alias)" });
      const reject = h("button", { type: "button", text: "Reject", title: "Different problems: keep both" });
      accept.disabled = keepB.disabled = reject.disabled = ro || busy;
      on(accept, "click", () => void this.decide(s, "accept"));
      on(keepB, "click", () => void this.decide(s, "accept", undefined, "b"));
      on(reject, "click", () => void this.decide(s, "reject"));
      actions.append(accept, keepB, reject);
      const others = (s.candidates ?? []).filter((c) => c.node !== s.b.node);
      if (others.length) {
        const box = h("div", { class: "candidates" }, h("span", { class: "muted small", text: "Or merge A with:" }));
        for (const c of others.slice(0, 3)) {
          const b = h("button", { type: "button", class: "subtle cand", title: c.explanation ?? `score ${fmt(c.score)}` });
          b.append(h("span", { text: c.label || "(empty)" }), " ", h("span", { class: "muted small", text: fmt(c.score) }));
          b.disabled = ro || busy;
          on(b, "click", () => void this.decide(s, "pick", c.node));
          box.append(b);
        }
        actions.append(box);
      }
    } else {
      const who = this.decider(s);
      const when = s.decided_at ? new Date(s.decided_at).toLocaleTimeString() : "";
      // Which label the merged problem has (A's or B's: the buttons chose), as it reads now. A
      // pick merged another candidate into A, not B: say which (B's pair stays open).
      const picked = s.status === "accepted" ? (s.picked ?? null) : null;
      const sides = picked ? [picked.node, s.a.node] : [s.a.node, s.b.node];
      const merged = s.status === "accepted" ? sides.find((x) => x !== null && this.ctx.hasNode(x)) : undefined;
      const name = merged ? this.ctx.nodeText?.(merged) : undefined;
      const what = picked ? ` · merged A with “${picked.label}”, not B` : "";
      actions.append(
        h("span", { class: "decided", text: `${statusWord(s.status)}${who ? ` by ${who}` : ""}${when ? ` at ${when}` : ""}${what}${name ? ` · now “${name}”` : ""}` }),
      );
      const undo = h("button", { type: "button", class: "subtle", text: "Undo" });
      undo.disabled = ro || busy;
      on(undo, "click", () => void this.undo(s));
      actions.append(undo);
    }
    if (busy) actions.append(h("span", { class: "spinner", role: "progressbar", "aria-label": "Saving" }));
    li.append(actions);
    return li;
  }

  /** One side of the pair; `passed`: a pick merged another candidate instead of it. */
  private side(x: ReviewSide, which: string, passed = false): HTMLElement {
    const box = h("div", { class: `side side-${which.toLowerCase()}${passed ? " passed" : ""}` });
    const head = h("div", { class: "side-head" }, h("span", { class: "side-tag", text: which }));
    const node = x.node;
    if (node !== null && this.ctx.hasNode(node)) {
      const b = h("button", { type: "button", class: "link side-label", title: "Show it in the outline", text: x.label || "(empty)" });
      on(b, "click", () => this.ctx.jump(node));
      head.append(b);
    } else head.append(h("span", { class: "side-label", text: x.label || "(empty)" }));
    box.append(head);
    const srcs = x.sources ?? [];
    if (srcs.length) {
      const ul = h("ul", { class: "plain sources" });
      for (const src of srcs.slice(0, 6)) ul.append(h("li", { text: this.sourceText(src) }));
      if (srcs.length > 6) ul.append(h("li", { class: "muted", text: `and ${srcs.length - 6} more` }));
      box.append(ul);
    }
    return box;
  }

  sourceText(src: SourceRef): string {
    const tree = this.ctx.treeTitle(src.tree) ?? "…";
    const author =
      src.author === null || src.author === undefined
        ? ""
        : typeof src.author === "number"
          ? this.ctx.userName(src.author)
          : String(src.author);
    return `${titleWithName(tree, author, (t, n) => `${t} · ${n}`)}${src.label ? `: “${src.label}”` : ""}`;
  }

  private decider(s: ReviewSuggestion): string {
    const d = s.decided_by;
    if (d === null || d === undefined) return "";
    if (typeof d === "object") return personName(d);
    if (typeof d === "number") return this.ctx.userName(d);
    return String(d);
  }

  // ------------------------------------------------------------------ decisions

  private async decide(s: ReviewSuggestion, decision: "accept" | "reject" | "pick", candidate?: string, label?: "a" | "b"): Promise<void> {
    await this.post(s, () => analysisApi.decide(this.ctx.treeId, s.id, decision, candidate, label));
  }

  private async undo(s: ReviewSuggestion): Promise<void> {
    await this.post(s, () => analysisApi.undoDecision(this.ctx.treeId, s.id));
  }

  private async post(s: ReviewSuggestion, call: () => Promise<unknown>): Promise<void> {
    const id = sid(s);
    if (this.busy.has(id)) return;
    this.busy.add(id);
    this.rerender(id);
    try {
      const res = await call();
      this.busy.delete(id);
      const got = asSuggestion(res);
      if (got) this.applySuggestion(got.suggestion, got.progress, false);
      else await this.reload();
    } catch (e) {
      this.busy.delete(id);
      toast(`Could not save the decision: ${(e as Error).message}`, { kind: "error" });
      await this.reload().catch(() => this.rerender(id));
    }
  }

  private rerender(id: string): void {
    const s = this.queue?.suggestions.find((x) => sid(x) === id);
    const old = this.rows.get(id);
    if (!s || !old) return;
    const li = this.renderItem(s);
    li.hidden = old.hidden;
    old.replaceWith(li);
    this.rows.set(id, li);
  }

  /** Read the queue and show it; throws when it cannot be read. A read due after this one
   * (core/rereads.ts) follows it, answered or not. */
  private async reload(): Promise<void> {
    try {
      this.show(await this.read());
    } finally {
      this.catchUp();
    }
  }

  /** The titles naming the source trees were read (again): show them. */
  retitled(): void {
    if (this.queue) this.renderAll();
  }

  /** Node ids changed (e.g. an accept deleted B): refresh the "show" links. */
  refreshLinks(): void {
    if (!this.queue) return;
    for (const s of this.queue.suggestions) this.rerender(sid(s));
  }
}

function statusWord(s: string): string {
  return s === "accepted" ? "Accepted" : s === "rejected" ? "Rejected" : "Pending";
}

function fmt(x: number | undefined): string {
  return typeof x === "number" ? x.toFixed(2) : "–";
}

/** A decision answer as the suggestion (and progress), whichever shape the server uses. */
function asSuggestion(res: unknown): { suggestion: ReviewSuggestion; progress?: ReviewProgress } | null {
  if (!res || typeof res !== "object") return null;
  const r = res as Record<string, unknown>;
  const isSugg = (x: unknown): x is ReviewSuggestion =>
    !!x && typeof x === "object" && "id" in x && "status" in x && "a" in x && "b" in x;
  if (isSugg(r.suggestion)) return { suggestion: r.suggestion, progress: r.progress as ReviewProgress | undefined };
  if (isSugg(r)) return { suggestion: r, progress: r.progress as ReviewProgress | undefined };
  return null;
}
