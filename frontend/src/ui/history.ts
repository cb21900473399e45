/**
 * History and trash: who changed a node and when (details panel), the trash of deleted
 * subtrees with a restore (an ordinary `restore` op, so everyone sees it live), and the tree
 * as it was at an earlier version (read-only, replayed from the log by the server).
 */
import { api, ApiError, type HistoryEntry, type TrashEntry } from "../api";
import { TYPE_INFO } from "../core/grammar";
import { type Named, personName } from "../core/people";
import type { Op, TreeNode } from "../core/types";
import { h, on, toast } from "./dom";
import { openModal } from "./modal";
import { short } from "./outliner";

export interface HistoryContext {
  treeId: number;
  readOnly(): boolean;
  /** Send ops as the user's edit (false when refused). */
  edit(ops: Op[]): boolean;
  userName(id: number | null): string;
  /** A node's current text, if it is in the tree (names the node typed in, in Versions). */
  nodeText?(id: string): string | undefined;
  /** The node was made here and the server has not acknowledged it yet (no history to ask for). */
  unsaved?(id: string): boolean;
}

export function when(at: string | null): string {
  if (!at) return "";
  const t = new Date(at);
  const secs = Math.round((Date.now() - t.getTime()) / 1000);
  if (secs < 60) return "just now";
  if (secs < 3600) return `${Math.floor(secs / 60)} min ago`;
  if (secs < 86400) return `${Math.floor(secs / 3600)} h ago`;
  return t.toLocaleString();
}

/** What one op did, in words ("changed the text to “…”"). */
export function describe(op: Op): string {
  switch (op.kind) {
    case "create":
      return op.text ? `created it: “${short(op.text, 60)}”` : "created it";
    case "set":
      if (op.field === "text") return `changed the text to “${short(String(op.value), 60)}”`;
      if (op.field === "tags") return `set the tags to ${(op.value as string[]).map((t) => `#${t}`).join(" ") || "none"}`;
      if (op.field === "meta") return "changed where it was drawn (a merge or a split)";
      return `changed the ${op.field}`;
    case "move":
      return op.type ? `moved it and made it a ${TYPE_INFO[op.type].label.toLowerCase()}` : "moved it";
    case "delete":
      return "deleted it";
    case "restore":
      return "restored it";
    case "text":
      return "typed in it";
    case "link":
      return "also put it under another problem";
    case "unlink":
      return "took it from under another problem";
    default:
      return (op as { kind: string }).kind;
  }
}

function who(e: { actor: Named | null }): string {
  return e.actor ? personName(e.actor) : "someone";
}

/** A run of entries (newest first): one person's consecutive typing in one node is one run. */
interface Run {
  last: HistoryEntry;
  first: HistoryEntry;
  count: number;
}

/** Every keystroke is an op: show a person's consecutive typing in a node as one line. */
export function typingRuns(entries: HistoryEntry[]): Run[] {
  const out: Run[] = [];
  for (const e of entries) {
    const prev = out.at(-1);
    const op = e.op;
    const prevOp = prev?.first.op;
    if (prev && op.kind === "text" && prevOp?.kind === "text" && prevOp.id === op.id && prev.first.actor?.id === e.actor?.id) {
      prev.first = e;
      prev.count++;
    } else out.push({ last: e, first: e, count: 1 });
  }
  return out;
}

/** A run in the tree-wide Versions list: the node it touched is named ("moved it" said not
 * which), while it is in the tree; a create already quotes its own text. */
export function runText(run: Run, nodeText?: (id: string) => string | undefined): string {
  const op = run.last.op;
  if (op.kind !== "text") {
    const what = describe(op);
    const name = op.kind === "create" || !("id" in op) ? undefined : nodeText?.(op.id);
    if (name === undefined) return what;
    const quoted = `“${short(name, 50)}”`;
    return /\bit\b/.test(what) ? what.replace(/\bit\b/, quoted) : `${what} in ${quoted}`;
  }
  const name = nodeText?.(op.id);
  const where = name === undefined ? "typed" : `typed in “${short(name, 50)}”`;
  return run.count > 1 ? `${where} (${run.count} changes)` : where;
}

function seqs(run: Run): string {
  return run.count > 1 ? `#${run.first.seq}–${run.last.seq}` : `#${run.last.seq}`;
}

/** The "History" section of the details panel: filled when it loads, older entries on demand. */
export function historySection(ctx: HistoryContext, n: TreeNode): HTMLElement {
  const list = h("ol", { class: "plain history", "aria-label": "Changes to this node, newest first" });
  const more = h("button", { type: "button", class: "link", text: "Older changes", hidden: true });
  const box = h("div", { class: "field history-box" }, h("span", { text: "History" }), list, more);
  let before: number | undefined;
  let waits = 0;
  const notYet = () => {
    if (!list.querySelector(".not-saved")) list.append(h("li", { class: "muted small not-saved", text: "Not saved yet…" }));
    window.setTimeout(() => {
      if (box.isConnected) void load();
    }, 400 * 2 ** Math.min(waits++, 4));
  };
  const load = async () => {
    more.hidden = true;
    // Asking before the server has the node only earns a 404 (logged in the console).
    if (before === undefined && ctx.unsaved?.(n.id)) {
      waits = 0;
      notYet();
      return;
    }
    try {
      const page = await api.nodeHistory(ctx.treeId, n.id, before);
      list.querySelector(".not-saved")?.remove();
      for (const run of typingRuns(page.entries)) list.append(historyItem(run));
      if (!list.childElementCount) list.append(h("li", { class: "muted small", text: "No changes logged." }));
      before = page.entries.at(-1)?.seq;
      more.hidden = !page.more;
    } catch (e) {
      // A node made here a moment ago that the server has not got yet: ask again shortly
      // (it said "History not available: No such node." for good).
      if (e instanceof ApiError && e.code === "not_found" && before === undefined && waits < 8) {
        notYet();
        return;
      }
      list.querySelector(".not-saved")?.remove();
      list.append(h("li", { class: "muted small", text: `History not available: ${(e as Error).message}` }));
    }
  };
  on(more, "click", () => void load());
  void load();
  return box;
}

function historyItem(run: Run): HTMLElement {
  const e = run.last;
  const li = h("li", { class: "small" });
  const what = run.count > 1 ? `typed in it (${run.count} changes)` : describe(e.op);
  li.append(h("strong", { text: who(e) }), ` ${what} `, h("span", { class: "muted", text: `· ${when(e.at)} · ${seqs(run)}` }));
  li.title = new Date(e.at).toLocaleString();
  return li;
}

/** The trash: deleted subtrees, newest first, each with a Restore for editors. */
export async function openTrash(ctx: HistoryContext): Promise<void> {
  const m = openModal("Trash", "trash-dialog", "Close");
  m.body.append(h("p", { class: "muted", text: "Loading…" }));
  const fill = async () => {
    let entries: TrashEntry[];
    try {
      entries = (await api.trash(ctx.treeId)).entries;
    } catch (e) {
      m.body.replaceChildren(h("p", { class: "error", text: (e as Error).message }));
      return;
    }
    if (!entries.length) {
      m.body.replaceChildren(h("p", { class: "muted", text: "Nothing deleted." }));
      return;
    }
    const ul = h("ul", { class: "plain trash-list" });
    for (const e of entries) {
      const restore = h("button", { type: "button", class: "subtle", text: "Restore" });
      restore.disabled = ctx.readOnly() || !e.restorable;
      if (!e.restorable) restore.title = "Its parent is deleted too: restore that first.";
      on(restore, "click", () => {
        if (ctx.edit([{ kind: "restore", id: e.id }])) {
          toast(`Restored “${short(e.text)}”${e.count > 1 ? ` and ${e.count - 1} more` : ""}.`);
          window.setTimeout(() => void fill(), 300);
        }
      });
      const what = `${e.count > 1 ? ` (with ${e.count - 1} more)` : ""}`;
      ul.append(
        h(
          "li",
          { class: `trash-item t-${e.type}`, "data-id": e.id },
          h("span", { class: "tlabel", text: TYPE_INFO[e.type].label }),
          " ",
          h("span", { class: "trash-text", text: short(e.text, 80) }),
          h("span", { class: "muted small", text: `${what} · deleted by ${who(e)} ${when(e.at)}` }),
          " ",
          restore,
        ),
      );
    }
    m.body.replaceChildren(ul);
  };
  await fill();
}

/** Pick a version from the log and view the tree as it was then (read-only). */
export async function openVersions(ctx: HistoryContext): Promise<void> {
  const m = openModal("Earlier versions", "versions-dialog", "Close");
  const seqInput = h("input", { type: "number", min: 0, "aria-label": "Version number", class: "version-seq" });
  const go = h("button", { type: "button", class: "primary", text: "View" });
  const picker = h("div", { class: "row-actions" }, h("label", {}, "Version ", seqInput), go);
  const list = h("ol", { class: "plain versions-list" });
  const more = h("button", { type: "button", class: "link", text: "Older versions", hidden: true });
  const view = h("div", { class: "version-view", hidden: true });
  m.body.append(h("p", { class: "muted small", text: "Each change is a version. Pick one to see the tree as it was right after it." }), picker, list, more, view);
  let before: number | undefined;
  const show = async (seq: number) => {
    view.hidden = false;
    view.replaceChildren(h("p", { class: "muted", text: `Loading version ${seq}…` }));
    try {
      const snap = await api.version(ctx.treeId, seq);
      view.replaceChildren(h("h3", { text: `The tree at version ${snap.seq} (read-only)` }), outlineOf(snap.nodes));
    } catch (e) {
      view.replaceChildren(h("p", { class: "error", text: (e as Error).message }));
    }
  };
  const load = async () => {
    more.hidden = true;
    try {
      const page = await api.versions(ctx.treeId, before);
      if (before === undefined) seqInput.value = String(page.seq);
      for (const run of typingRuns(page.entries)) {
        const e = run.last;
        const b = h("button", { type: "button", class: "link", text: `#${e.seq}` });
        on(b, "click", () => {
          seqInput.value = String(e.seq);
          void show(e.seq);
        });
        const from = run.count > 1 ? ` (from #${run.first.seq})` : "";
        list.append(h("li", { class: "small" }, b, " ", h("strong", { text: who(e) }), ` ${runText(run, ctx.nodeText)}${from} `, h("span", { class: "muted", text: `· ${when(e.at)}` })));
      }
      before = page.entries.at(-1)?.seq;
      more.hidden = !page.more;
    } catch (e) {
      list.append(h("li", { class: "error", text: (e as Error).message }));
    }
  };
  on(go, "click", () => {
    const seq = Number(seqInput.value);
    if (Number.isInteger(seq) && seq >= 0) void show(seq);
  });
  on(more, "click", () => void load());
  await load();
}

/** A read-only nested list of the live nodes of a snapshot. */
function outlineOf(nodes: TreeNode[]): HTMLElement {
  const kids = new Map<string | null, TreeNode[]>();
  for (const n of nodes) {
    if (n.deleted) continue;
    const list = kids.get(n.parent) ?? [];
    list.push(n);
    kids.set(n.parent, list);
  }
  const cmp = (a: TreeNode, b: TreeNode) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1);
  const build = (parent: string | null, seen: Set<string>): HTMLElement => {
    const ul = h("ul", { class: "plain version-tree" });
    for (const n of (kids.get(parent) ?? []).sort(cmp)) {
      if (seen.has(n.id)) continue;
      seen.add(n.id);
      const li = h("li", { class: `t-${n.type}` }, h("span", { class: "tlabel", text: TYPE_INFO[n.type].label }), " ", n.text || "(empty)");
      if (kids.has(n.id)) li.append(build(n.id, seen));
      ul.append(li);
    }
    return ul;
  };
  const tree = build(null, new Set());
  return tree.childElementCount ? tree : h("p", { class: "muted", text: "The tree was empty." });
}
