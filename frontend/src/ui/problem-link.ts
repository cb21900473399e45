/**
 * Point a failure-mode tag at the problem it shows (docs/analysis.md, "Failure modes"): pick a
 * problem tree, then one of its problems. The link is the signed-in user's (a `FailureMode`
 * row per user and tag), so it shows on every board that user opens. Data: GET /api/trees/,
 * the tree's snapshot, PUT /api/tags/<tag>/.
 */
import { api, ApiError, tagsApi, type ProblemRef, type TagRow } from "../api";
import type { TreeNode } from "../core/types";
import { h, on } from "./dom";
import { openModal } from "./modal";
import { shortLine } from "../core/survival";

export interface ProblemOption {
  id: string;
  label: string;
  depth: number;
}

/** The live problems of a tree in outline order (siblings by key), with their depth. */
export function problemOptions(nodes: readonly Pick<TreeNode, "id" | "parent" | "key" | "text" | "deleted">[]): ProblemOption[] {
  const live = new Map(nodes.filter((n) => !n.deleted).map((n) => [n.id, n]));
  const kids = new Map<string | null, typeof nodes[number][]>();
  for (const n of live.values()) {
    // A node whose parent is gone is shown at the top rather than lost.
    const parent = n.parent !== null && live.has(n.parent) ? n.parent : null;
    const list = kids.get(parent) ?? [];
    list.push(n);
    kids.set(parent, list);
  }
  for (const list of kids.values()) list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.id < b.id ? -1 : 1));
  const out: ProblemOption[] = [];
  const stack: [typeof nodes[number], number][] = [...(kids.get(null) ?? [])].reverse().map((n) => [n, 0]);
  while (stack.length) {
    const [n, depth] = stack.pop()!;
    out.push({ id: n.id, label: shortLine(n.text, 80) || "(empty)", depth });
    for (const c of [...(kids.get(n.id) ?? [])].reverse()) stack.push([c, depth + 1]);
  }
  return out;
}

export interface ProblemLinkOptions {
  tag: string;
  /** The user's row for this tag, if any (its description is kept). */
  current: TagRow | undefined;
  onSaved(row: TagRow): void;
}

/** The dialog: choose a problem tree and a problem; save, or remove the link. */
export function openProblemLinkDialog(opts: ProblemLinkOptions): void {
  const { d, body, actions } = openModal(`Link #${opts.tag} to a problem`, "problem-link-dialog");
  const linked: ProblemRef | null = opts.current?.problem ?? null;
  const treeSelect = h("select", { id: "pl-tree" });
  const nodeSelect = h("select", { id: "pl-node", disabled: true });
  const status = h("div", { class: "pl-status", role: "status", "aria-live": "polite" });
  const save = h("button", { type: "button", class: "primary", text: "Save link", disabled: true });
  const remove = h("button", { type: "button", class: "danger subtle", text: "Remove link" });
  remove.hidden = !linked;
  body.append(
    h("p", {
      class: "muted small",
      text: "The problem this failure mode shows. The link is yours: it shows on the boards you open, for this tag in every game tree.",
    }),
    // Labels beside (not around) the selects: a wrapping label would add the chosen option
    // to the select's accessible name.
    h("div", { class: "field" }, h("label", { for: "pl-tree", text: "Problem tree" }), treeSelect),
    h("div", { class: "field" }, h("label", { for: "pl-node", text: "Problem" }), nodeSelect),
    status,
  );
  actions.prepend(remove, save);

  const fail = (what: string, e: unknown) =>
    status.replaceChildren(h("p", { class: "error", role: "alert", text: `${what}: ${e instanceof ApiError ? e.message : String(e)}` }));

  const loadNodes = async (treeId: number, select?: string) => {
    nodeSelect.disabled = true;
    save.disabled = true;
    nodeSelect.replaceChildren(h("option", { value: "", text: "Loading…" }));
    try {
      const snap = await api.snapshot(treeId);
      if (Number(treeSelect.value) !== treeId) return; // another tree was picked meanwhile
      const opts = problemOptions(snap.nodes);
      nodeSelect.replaceChildren(
        h("option", { value: "", text: opts.length ? "Choose a problem…" : "This tree has no problems yet" }),
        ...opts.map((o) => h("option", { value: o.id, text: `${"\u2003".repeat(o.depth)}${o.label}` })),
      );
      nodeSelect.disabled = !opts.length;
      if (select && opts.some((o) => o.id === select)) nodeSelect.value = select;
      save.disabled = !nodeSelect.value;
    } catch (e) {
      nodeSelect.replaceChildren(h("option", { value: "", text: "—" }));
      fail("Could not load that tree", e);
    }
  };

  on(treeSelect, "change", () => {
    status.replaceChildren();
    if (treeSelect.value) void loadNodes(Number(treeSelect.value));
    else {
      nodeSelect.replaceChildren();
      nodeSelect.disabled = true;
      save.disabled = true;
    }
  });
  on(nodeSelect, "change", () => (save.disabled = !nodeSelect.value));

  const put = async (problem: { tree: number; node: string } | null) => {
    save.disabled = true;
    remove.disabled = true;
    try {
      const row = await tagsApi.set(opts.tag, problem, opts.current?.description ?? "");
      opts.onSaved(row);
      d.close();
    } catch (e) {
      save.disabled = !nodeSelect.value;
      remove.disabled = false;
      fail("Not saved", e);
    }
  };
  on(save, "click", () => void put({ tree: Number(treeSelect.value), node: nodeSelect.value }));
  on(remove, "click", () => void put(null));

  void (async () => {
    treeSelect.replaceChildren(h("option", { value: "", text: "Loading…" }));
    try {
      const problems = (await api.trees()).filter((t) => t.kind === "problem");
      treeSelect.replaceChildren(
        h("option", { value: "", text: problems.length ? "Choose a problem tree…" : "You are in no problem tree" }),
        ...problems.map((t) => h("option", { value: String(t.id), text: t.title })),
      );
      if (linked && problems.some((t) => t.id === linked.tree)) {
        treeSelect.value = String(linked.tree);
        await loadNodes(linked.tree, linked.node);
      }
    } catch (e) {
      fail("Could not list your trees", e);
    }
    treeSelect.focus();
  })();
}
