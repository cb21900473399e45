/**
 * The taut-constraint board: failure modes (game trees) or recurring problems (problem trees,
 * merged DAGs) ranked by score, as a table with a horizontal bar per row and a drill-down that
 * lists every member; a member click jumps to it in the outliner. A failure-mode row names the
 * problem its tag points at, if any, with a way to set or clear that link. Data: GET
 * /api/analysis/recurring/ and /api/tags/ (docs/analysis.md). Everything is rendered as text.
 */
import type { BoardItem, BoardMember, ProblemRef } from "../api";
import { h, on } from "./dom";

export interface BoardOptions {
  /** A member was clicked: show it (same tree: focus in the outliner; else open its tree). */
  onJump(member: BoardMember): void;
  /** Tree id -> title, to name members of other trees. */
  treeTitle(id: number): string | null;
  /** The tree the board is shown in (its members are named "this tree"). */
  currentTree?: number;
  /** Rows shown before "Show all". */
  initialRows?: number;
  /** The problem a failure-mode tag points at (failure-mode boards only; none: no column). */
  problemOf?(tag: string): ProblemRef | null;
  /** Open that problem (a click on its link). */
  onOpenProblem?(ref: ProblemRef): void;
  /** Set or clear a tag's problem (shown as a button when given). */
  onEditProblem?(tag: string): void;
}

/** Where a problem lives in the client: its tree page, focused on the node. */
export function problemHref(ref: ProblemRef): string {
  return `/app/trees/${ref.tree}#node=${encodeURIComponent(ref.node)}`;
}

interface Column {
  head: string;
  title: string;
  /** The definition shown under the board (a tooltip alone is invisible on a touch screen). */
  def: string;
  value(it: BoardItem): string;
}

const GAME_COLUMNS: Column[] = [
  {
    head: "Proposals hit",
    title: "Proposals with at least one critique of this failure mode",
    def: "proposals with at least one critique of this failure mode.",
    value: (it) => num(it.props),
  },
  {
    head: "Broken by it",
    title: "Proposals broken by a surviving critique of this failure mode",
    def: "proposals that a still-standing critique of this failure mode breaks.",
    value: (it) => num(it.stand),
  },
  { head: "Authors", title: "People who raised it", def: "how many people raised it.", value: (it) => num(it.authors) },
  {
    head: "Recurs below a patch",
    title: "Critiques of this mode under a patch of a critique of the same mode (whack-a-mole)",
    def: "whack-a-mole: critiques of this failure mode below a patch that answered a critique of the same mode. Patching it made it pop up again further down, a sign the constraint is taut.",
    value: (it) => num(it.re),
  },
  {
    head: "Rescues",
    title: "Proposals that would survive if every critique of this mode were answered",
    def: "proposals that would survive if every critique of this failure mode were answered: what solving this one problem would save.",
    value: (it) => num(it.rescue),
  },
];

const PROBLEM_COLUMNS: Column[] = [
  {
    head: "Under top-level problems",
    title: "How many top-level problems it lies under",
    def: "how many top-level problems it lies under.",
    value: (it) => num(it.breadth),
  },
  {
    head: "Trees that drew it",
    title: "Source trees it was drawn in (a problem added after the merge counts its author, 1)",
    def: "source trees it was drawn in (a problem added after the merge counts 1).",
    value: (it) => num(it.contributors),
  },
  {
    head: "Support",
    title: "Share of the trees that drew it",
    def: "the share of the merged trees that drew it.",
    value: (it) => (typeof it.support === "number" ? `${Math.round(it.support * 100)}%` : "–"),
  },
];

function num(v: number | undefined): string {
  return typeof v === "number" ? String(v) : "–";
}

function fmtScore(s: number): string {
  return Number.isInteger(s) ? String(s) : s.toFixed(2);
}

/** Render `items` (most taut first) into a new element. */
export function boardTable(kind: string, items: BoardItem[], opts: BoardOptions): HTMLElement {
  const problem = kind === "problem" || items.some((it) => it.kind === "problem");
  const cols = problem ? PROBLEM_COLUMNS : GAME_COLUMNS;
  if (!items.length) {
    return h(
      "p",
      { class: "muted board-empty" },
      problem
        ? "No problems to rank yet."
        : "No failure modes yet: tag critiques (or accept the suggestions below) to see which constraints are taut.",
    );
  }
  const max = Math.max(...items.map((it) => it.score), 1e-9);
  const table = h("table", { class: "board" });
  const headRow = h(
    "tr",
    {},
    h("th", { scope: "col", class: "rank", text: "#" }),
    h("th", { scope: "col", text: problem ? "Problem" : "Failure mode" }),
    h("th", { scope: "col", class: "score-col", text: "Score" }),
    ...cols.map((c) => h("th", { scope: "col", class: "num", title: c.title, text: c.head })),
  );
  table.append(h("thead", {}, headRow));
  const limit = opts.initialRows ?? 15;
  const bodies: HTMLElement[] = [];
  items.forEach((it, i) => {
    const tbody = h("tbody", { class: "board-item", "data-label": it.label, "data-tag": it.tag ?? undefined });
    if (i >= limit) tbody.hidden = true;
    const detailId = `board-detail-${i}-${Math.random().toString(36).slice(2, 8)}`;
    const toggle = h("button", {
      type: "button",
      class: "board-label",
      "aria-expanded": "false",
      "aria-controls": detailId,
      title: it.explanation,
    });
    const isTag = !problem && (it.kind === "tag" || it.kind === undefined);
    toggle.append(
      h("span", { class: "caret", "aria-hidden": "true", text: "▸" }),
      " ",
      h("span", { class: "board-name", text: isTag ? `#${it.label}` : it.label }),
    );
    if (!problem && it.kind && it.kind !== "tag")
      toggle.append(" ", h("span", { class: "board-kind", text: "untagged, similar wording" }));
    const labelCell = h("td", { class: "label-cell" }, toggle);
    if (isTag && it.tag && opts.problemOf) labelCell.append(problemLine(it.tag, opts.problemOf(it.tag), opts));
    const bar = h("span", { class: "bar-fill" });
    bar.style.width = `${Math.max(2, (it.score / max) * 100)}%`;
    const scoreCell = h(
      "td",
      { class: "score-col" },
      h("span", { class: "bar", role: "img", "aria-label": `score ${fmtScore(it.score)}` }, bar),
      h("span", { class: "score", text: fmtScore(it.score) }),
    );
    const row = h(
      "tr",
      { class: "board-row" },
      h("td", { class: "rank", text: String(i + 1) }),
      labelCell,
      scoreCell,
      ...cols.map((c) => h("td", { class: "num", text: c.value(it) })),
    );
    const detail = h("tr", { class: "board-detail", id: detailId, hidden: true });
    const cell = h("td", { colspan: 3 + cols.length });
    detail.append(cell);
    on(toggle, "click", () => {
      const open = detail.hidden;
      detail.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.querySelector(".caret")!.textContent = open ? "▾" : "▸";
      if (open && !cell.childElementCount) cell.append(memberList(it, opts));
    });
    tbody.append(row, detail);
    bodies.push(tbody);
  });
  table.append(...bodies);
  const wrap = h("div", { class: "board-wrap" }, table);
  if (items.length > limit) {
    const more = h("button", { type: "button", class: "subtle", text: `Show all ${items.length}` });
    on(more, "click", () => {
      for (const b of bodies) b.hidden = false;
      more.remove();
    });
    wrap.append(more);
  }
  const legend = h("dl", { class: "board-legend", "aria-label": "What the columns mean" });
  for (const c of cols) legend.append(h("dt", { text: c.head }), h("dd", { text: c.def }));
  wrap.append(legend);
  return wrap;
}

/** "Shows: <problem>" as a link into its tree, and the button that sets or clears it. */
function problemLine(tag: string, ref: ProblemRef | null, opts: BoardOptions): HTMLElement {
  const line = h("div", { class: "board-problem" });
  if (ref) {
    const a = h("a", { class: "problem-link", href: problemHref(ref), text: ref.label || "(a problem)" });
    on(a, "click", (e) => {
      if (!opts.onOpenProblem || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      opts.onOpenProblem(ref);
    });
    line.append(h("span", { class: "muted small", text: "Shows: " }), a);
  }
  if (opts.onEditProblem) {
    const edit = h("button", {
      type: "button",
      class: "link small problem-edit",
      "aria-label": ref ? `Change or remove the problem #${tag} shows` : `Link #${tag} to a problem`,
      text: ref ? "change" : "Link a problem…",
    });
    on(edit, "click", () => opts.onEditProblem!(tag));
    line.append(ref ? " " : "", edit);
  }
  return line;
}

function memberList(it: BoardItem, opts: BoardOptions): HTMLElement {
  const box = h("div", { class: "members-box" }, h("p", { class: "muted small", text: it.explanation }));
  const ul = h("ul", { class: "plain board-members" });
  if (it.node && opts.currentTree !== undefined) {
    const self = h("button", { type: "button", class: "member-jump", text: "Show it in this tree" });
    on(self, "click", () => opts.onJump({ tree: opts.currentTree!, node: it.node!, label: it.label }));
    ul.append(h("li", {}, self));
  }
  for (const m of it.members) {
    const where =
      m.tree === opts.currentTree || m.tree === undefined ? "" : (opts.treeTitle(m.tree) ?? "a tree not shared with you");
    const b = h("button", { type: "button", class: "member-jump", title: "Show it in the outline" });
    if (m.status) {
      const st = String(m.status);
      b.append(h("span", { class: `badge surv crit s-${st}`, text: st === "survives" ? "⚑ stands" : st === "broken" ? "✓ answered" : "◐ contested" }), " ");
    }
    b.append(h("span", { class: "member-label", text: m.label || "(empty)" }));
    if (where) b.append(" ", h("span", { class: "muted small", text: `· ${where}` }));
    on(b, "click", () => opts.onJump(m));
    ul.append(h("li", {}, b));
  }
  if (!it.members.length) ul.append(h("li", { class: "muted small", text: "No members." }));
  box.append(ul);
  return box;
}
