/**
 * The live facilitator board, /app/workshops/<id>/board, and its projector view,
 * /app/workshops/<id>/projector#key=<key> (read-only, no sign-in, large type). Both read the
 * board from ws/workshops/<id>/board/ (a `board` message at once and after every change; the
 * projector's key goes in the hello message, never in a URL a server logs): every group at a
 * glance (members present, activity, counts per tree and in total) and, per exercise, the
 * cross-group taut-constraint ranking. The facilitator's view adds drill-down links into each
 * tree, the projector link (made anew or revoked here), the workshop's export and before/after.
 * Everything people typed is rendered as text.
 */
import { request } from "../../api";
import { titleWithName } from "../../core/people";
import { reconnectDelay } from "../../connection";
import type { User } from "../../core/types";
import { h, on } from "../dom";
import { appLink, copyButton, showError, topbar, type Navigate } from "./util";
import "./workshop.css";
import "./board.css";

export interface Counts {
  proposals: number;
  critiques: number;
  patches: number;
  surviving: number;
  broken: number;
  contested: number;
  problems: number;
}

export interface BoardTree {
  id: number | null;
  title: string;
  kind: "game" | "problem";
  exercise: number | null;
  round: number | null;
  participant: string | null;
  link_kind: string;
  counts: Counts;
  /** In the group's total: false for a tree a newer one of the group holds (a member's
   * tree beside the merged tree of its round, a round before the newest). */
  counted: boolean;
  last_edit: string | null;
  edits_per_minute: number;
  version: number;
}

export interface BoardGroup {
  id: number | null;
  name: string;
  members: { id: number; display_name: string; present: boolean }[];
  trees: BoardTree[];
  totals: Counts;
  last_edit: string | null;
  edits_per_minute: number;
}

export interface RankItem {
  label: string;
  kind: string;
  tag: string | null;
  score: number;
  groups: number;
  explanation: string;
  members: { tree?: number | null; node?: string; label: string }[];
  member_count: number;
}

export interface Board {
  workshop: { id: number; title: string };
  computed_at: string;
  groups: BoardGroup[];
  unassigned: { id: number; display_name: string; present: boolean }[];
  participants: number;
  present: number;
  activity: { last_edit: string | null; edits_per_minute: number };
  exercises: { id: number; title: string; kind: string; phase: string; ranking: { kind: string | null; items: RankItem[] } }[];
  versions: Record<string, number>;
  projector: boolean;
}

export interface Comparison {
  before: { id: number; title: string };
  after: { id: number; title: string };
  added: { node: string; label: string }[];
  dropped: { node: string; label: string }[];
  reworded: { before: { label: string }; after: { label: string }; score: number | null }[];
  kept: number;
}

interface PersonTrees {
  participant: number;
  display_name: string;
  trees: { tree: number; title: string; exercise: number; exercise_title: string; phase: string; round: number | null }[];
}

export const boardApi = {
  link: (w: number) => request<{ active: boolean; created_at: string | null }>("GET", `/api/workshops/${w}/board/link/`),
  newLink: (w: number) => request<{ active: boolean; created_at: string; key: string }>("POST", `/api/workshops/${w}/board/link/`),
  revokeLink: (w: number) => request<void>("DELETE", `/api/workshops/${w}/board/link/`),
  people: (w: number) => request<PersonTrees[]>("GET", `/api/workshops/${w}/problem-trees/`),
  compare: (before: number, after: number) => request<Comparison>("GET", `/api/compare/?before=${before}&after=${after}`),
};

export function projectorUrl(workshop: number, key: string): string {
  return `${location.origin}/app/workshops/${workshop}/projector#key=${encodeURIComponent(key)}`;
}

/** "just now", "40 s ago", "3 min ago", "2 h ago" from an ISO time and now (ms). */
export function ago(iso: string | null, now: number): string {
  if (!iso) return "no edits yet";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}

/** Why a tree of a group is not in the group's total (docs/guide.md, "The facilitator
 * board"): the merged tree of its round holds it, or a newer round does. */
export function uncountedWhy(t: BoardTree, group: BoardTree[]): string {
  const merged = group.some(
    (o) => o !== t && o.link_kind === "merged" && o.exercise === t.exercise && (o.round ?? 0) === (t.round ?? 0),
  );
  return merged ? "in the merged tree, not added to the total" : "carried into a newer round, not added to the total";
}

/** The counts worth showing for a tree or a group, as short phrases. */
export function countPhrases(c: Counts, kind: "game" | "problem" | "mixed"): string[] {
  const out: string[] = [];
  if (kind !== "problem") {
    out.push(counted(c.proposals, "proposal"), counted(c.critiques, "critique"), counted(c.patches, "patch", "patches"));
    out.push(`${c.surviving} surviving`, `${c.broken} broken`);
    if (c.contested) out.push(`${c.contested} contested`);
  }
  if (kind !== "game") out.push(counted(c.problems, "problem"));
  return out;
}

function counted(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function groupKind(g: BoardGroup): "game" | "problem" | "mixed" {
  const kinds = new Set(g.trees.map((t) => t.kind));
  if (kinds.size === 1) return [...kinds][0];
  return kinds.size === 0 ? "game" : "mixed";
}

/** The board's socket: hello (with the projector key, if any), board messages, reconnects. */
class BoardSocket {
  private ws: WebSocket | null = null;
  private retry = 0;
  private timer: number | null = null;
  private stopped = false;

  constructor(
    private readonly workshop: number,
    private readonly key: string | null,
    private readonly onBoard: (b: Board) => void,
    private readonly onState: (s: "online" | "offline" | "closed", code?: number) => void,
  ) {}

  start(): void {
    if (this.stopped) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws/workshops/${this.workshop}/board/`);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      ws.send(JSON.stringify(this.key ? { type: "hello", key: this.key } : { type: "hello" }));
      this.onState("online");
    };
    ws.onmessage = (ev) => {
      try {
        const msg = JSON.parse(ev.data as string) as { type: string; board?: Board };
        if (msg.type === "board" && msg.board) this.onBoard(msg.board);
      } catch {
        /* not JSON: ignore */
      }
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4403 || ev.code === 4401) {
        this.stopped = true;
        this.onState("closed", ev.code);
        return;
      }
      this.onState("offline", ev.code);
      if (this.stopped) return;
      const delay = reconnectDelay(this.retry);
      this.retry++;
      this.timer = window.setTimeout(() => {
        this.timer = null;
        this.start();
      }, delay);
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
  }
}

export class BoardPage {
  readonly el: HTMLElement;
  private body: HTMLElement;
  private banner: HTMLElement;
  private socket: BoardSocket;
  private ticker: number;
  private board: Board | null = null;
  private groupsEl = h("div", { class: "board-groups" });
  private rankingEl = h("div", { class: "board-ranking" });
  private summary = h("p", { class: "board-summary", "aria-live": "polite" });
  private updated = 0;

  constructor(
    private readonly id: number,
    private readonly opts: { me: User | null; key: string | null; navigate: Navigate; signOut: () => void },
  ) {
    const projector = opts.key !== null;
    this.banner = h("div", { class: "banner offline", role: "status", hidden: true });
    this.body = h(
      "main",
      { class: `container board-page${projector ? " projector" : ""}` },
      h("p", { class: "muted", text: "Loading the board…" }),
    );
    const header =
      projector || !opts.me
        ? h("header", { class: "topbar" }, h("span", { class: "brand-link", text: "Gametree" }))
        : topbar(opts.me, opts.navigate, opts.signOut, appLink(`/app/workshops/${id}`, "Back to the workshop", opts.navigate));
    this.el = h("div", { class: "board-root" }, header, this.banner, this.body);
    this.socket = new BoardSocket(id, opts.key, (b) => this.show(b), (s, code) => this.state(s, code));
    // "12 s ago" stays true between updates.
    this.ticker = window.setInterval(() => this.board && this.paint(this.board), 5000);
  }

  start(): void {
    this.socket.start();
  }

  destroy(): void {
    this.socket.stop();
    clearInterval(this.ticker);
  }

  private state(s: "online" | "offline" | "closed", code?: number): void {
    if (s === "online") {
      this.banner.hidden = true;
      return;
    }
    this.banner.hidden = false;
    this.banner.textContent =
      s === "closed"
        ? code === 4401
          ? "Signed out: sign in again to see the board."
          : this.opts.key
            ? "This projector link no longer works: ask the facilitator for the new one."
            : "Only the workshop's facilitators can see its board."
        : "Reconnecting…";
    // Refused before any board came: nothing is loading any more.
    if (s === "closed" && this.board === null) this.body.replaceChildren();
  }

  private show(b: Board): void {
    const first = this.board === null;
    this.board = b;
    this.updated++;
    document.body.dataset.boardUpdates = String(this.updated);
    if (first) {
      document.title = `${b.workshop.title} · board · Gametree`;
      const parts: (HTMLElement | null)[] = [
        h("h1", { class: "board-title", text: b.workshop.title }),
        this.summary,
        h("section", { class: "board-section", "aria-label": "Taut constraints across groups" }, h("h2", { text: "Across groups: the taut constraints" }), this.rankingEl),
        h("section", { class: "board-section", "aria-label": "Groups" }, h("h2", { text: "Groups" }), this.groupsEl),
      ];
      if (!b.projector) parts.push(this.tools());
      this.body.replaceChildren(...parts.filter((p): p is HTMLElement => p !== null));
    }
    this.paint(b);
  }

  private paint(b: Board): void {
    const now = Date.now();
    this.summary.textContent =
      `${b.present} of ${b.participants} present · ${b.activity.edits_per_minute} edits a minute · ` +
      `last edit ${ago(b.activity.last_edit, now)}`;
    this.groupsEl.replaceChildren(...b.groups.map((g) => this.groupCard(g, now, b.projector)));
    if (b.unassigned.length) {
      this.groupsEl.append(
        h(
          "div",
          { class: "card board-group unassigned" },
          h("h3", { text: "Not in a group" }),
          h("p", { class: "muted", text: b.unassigned.map((p) => p.display_name).join(", ") }),
        ),
      );
    }
    this.rankingEl.replaceChildren(...this.rankings(b));
  }

  private groupCard(g: BoardGroup, now: number, projector: boolean): HTMLElement {
    const members = h(
      "ul",
      { class: "board-members" },
      ...g.members.map((m) =>
        h(
          "li",
          { class: m.present ? "present" : "away", title: m.present ? "present" : "not here" },
          h("span", { class: "dot", "aria-hidden": "true" }),
          m.display_name,
          h("span", { class: "sr-only", text: m.present ? " (present)" : " (away)" }),
        ),
      ),
    );
    const trees = h(
      "ul",
      { class: "board-trees" },
      ...g.trees.map((t) => {
        const label = t.participant ? titleWithName(t.title, t.participant, (x, n) => `${x} (${n})`) : t.title;
        const name =
          !projector && t.id !== null
            ? appLink(`/app/trees/${t.id}`, label, this.opts.navigate, { class: "board-tree-link", "data-tree": String(t.id) })
            : h("span", { text: label });
        return h(
          "li",
          { "data-tree": t.id === null ? null : String(t.id), class: t.counted === false ? "uncounted" : null },
          name,
          h("span", { class: "board-counts", text: countPhrases(t.counts, t.kind).join(" · ") }),
          t.counted === false ? h("span", { class: "board-uncounted muted", text: uncountedWhy(t, g.trees) }) : null,
          h("span", { class: "board-activity muted", text: `${t.edits_per_minute}/min · ${ago(t.last_edit, now)}` }),
        );
      }),
    );
    return h(
      "article",
      { class: "card board-group", "data-group": g.id === null ? "none" : String(g.id) },
      h("h3", { text: g.name }),
      members,
      h("p", { class: "board-totals", text: countPhrases(g.totals, groupKind(g)).join(" · ") }),
      h("p", { class: "board-activity muted", text: `${g.edits_per_minute} edits a minute · last edit ${ago(g.last_edit, now)}` }),
      g.trees.length ? trees : h("p", { class: "muted", text: "No trees yet." }),
    );
  }

  private rankings(b: Board): HTMLElement[] {
    if (!b.exercises.length) return [h("p", { class: "muted", text: "No exercises yet." })];
    return b.exercises.map((ex) => {
      const items = ex.ranking.items;
      const list = h(
        "ol",
        { class: "board-rank" },
        ...items.map((it) =>
          h(
            "li",
            { title: it.explanation },
            h("span", { class: "rank-label", text: it.label }),
            h("span", { class: "rank-score", text: `score ${it.score}` }),
            h("span", { class: "rank-groups", text: `${it.groups} group${it.groups === 1 ? "" : "s"}` }),
          ),
        ),
      );
      return h(
        "div",
        { class: "board-exercise", "data-exercise": String(ex.id) },
        h("h3", { text: ex.phase ? `${ex.title} (${ex.phase})` : ex.title }),
        items.length ? list : h("p", { class: "muted", text: "Nothing ranked yet: tag critiques to see what keeps coming back." }),
      );
    });
  }

  // ---- the facilitator's tools: projector link, export, before/after -----------------------

  private tools(): HTMLElement {
    return h(
      "section",
      { class: "board-section board-tools", "aria-label": "Projector, export and before/after" },
      this.projectorCard(),
      this.exportCard(),
      this.compareCard(),
    );
  }

  private projectorCard(): HTMLElement {
    const status = h("p", { class: "muted projector-status" });
    const out = h("div", { class: "projector-out" });
    const make = h("button", { type: "button", text: "Make a projector link" });
    const revoke = h("button", { type: "button", class: "subtle", text: "Revoke it" });
    const paint = (active: boolean) => {
      status.textContent = active ? "A projector link is active (shown only when made)." : "No projector link.";
      revoke.hidden = !active;
      make.textContent = active ? "Make a new link (the old one stops)" : "Make a projector link";
    };
    on(make, "click", async () => {
      try {
        const made = await boardApi.newLink(this.id);
        const url = projectorUrl(this.id, made.key);
        const input = h("input", { readonly: true, value: url, class: "link-field", "aria-label": "Projector link", id: "projector-link" });
        out.replaceChildren(h("div", { class: "link-row" }, input, copyButton("Copy", () => url, input)));
        paint(true);
      } catch (x) {
        showError(x);
      }
    });
    on(revoke, "click", async () => {
      try {
        await boardApi.revokeLink(this.id);
        out.replaceChildren();
        paint(false);
      } catch (x) {
        showError(x);
      }
    });
    paint(false);
    boardApi.link(this.id).then((l) => paint(l.active), showError);
    return h(
      "div",
      { class: "card" },
      h("h2", { text: "Projector" }),
      h("p", { class: "muted", text: "A read-only view of this board for the room: no sign-in, no tree contents beyond the ranking." }),
      status,
      h("div", { class: "row" }, make, revoke),
      out,
    );
  }

  private exportCard(): HTMLElement {
    const link = (fmt: string, text: string) =>
      h("a", { href: `/api/workshops/${this.id}/export/?format=${fmt}`, download: "", class: "button subtle", text });
    return h(
      "div",
      { class: "card" },
      h("h2", { text: "Export the workshop" }),
      h("div", { class: "row" }, link("md", "Report (Markdown)"), link("csv", "Failure modes (CSV)"), link("json", "Backup (JSON)")),
    );
  }

  private compareCard(): HTMLElement {
    const person = h("select", { "aria-label": "Person", id: "compare-person" });
    const before = h("select", { "aria-label": "Before", id: "compare-before" });
    const after = h("select", { "aria-label": "After", id: "compare-after" });
    const go = h("button", { type: "button", text: "Compare" });
    const out = h("div", { class: "compare-out", "aria-live": "polite" });
    let people: PersonTrees[] = [];
    const fillTrees = () => {
      const p = people.find((x) => String(x.participant) === person.value);
      const options = (p?.trees ?? []).map((t) => {
        const when = t.phase || (t.round ? `round ${t.round}` : "");
        return { value: String(t.tree), text: `${t.exercise_title}${when ? ` (${when})` : ""}` };
      });
      before.replaceChildren(...options.map((o) => h("option", o)));
      after.replaceChildren(...options.map((o) => h("option", o)));
      if (options.length > 1) after.value = options[options.length - 1].value;
      go.disabled = options.length < 2;
    };
    on(person, "change", fillTrees);
    on(go, "click", async () => {
      try {
        out.replaceChildren(renderComparison(await boardApi.compare(Number(before.value), Number(after.value))));
      } catch (x) {
        showError(x);
      }
    });
    boardApi.people(this.id).then((p) => {
      people = p.filter((x) => x.trees.length > 0);
      person.replaceChildren(...people.map((x) => h("option", { value: String(x.participant), text: x.display_name })));
      fillTrees();
    }, showError);
    go.disabled = true;
    return h(
      "div",
      { class: "card compare-card" },
      h("h2", { text: "Before and after" }),
      h("p", { class: "muted", text: "A person's two problem trees: what they added, dropped and reworded." }),
      h("div", { class: "row" }, person, before, after, go),
      out,
    );
  }
}

export function renderComparison(c: Comparison): HTMLElement {
  const list = (title: string, cls: string, rows: string[]) =>
    h(
      "div",
      { class: `compare-${cls}` },
      h("h3", { text: `${title} (${rows.length})` }),
      rows.length ? h("ul", {}, ...rows.map((r) => h("li", { text: r }))) : h("p", { class: "muted", text: "none" }),
    );
  return h(
    "div",
    { class: "comparison" },
    h("p", { class: "muted", text: `${c.before.title} → ${c.after.title}: ${c.kept} kept as they were.` }),
    list("Added", "added", c.added.map((a) => a.label)),
    list("Dropped", "dropped", c.dropped.map((d) => d.label)),
    list("Reworded", "reworded", c.reworded.map((r) => `${r.before.label} → ${r.after.label}`)),
  );
}
