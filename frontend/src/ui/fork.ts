/**
 * Rounds (docs/analysis.md): fork a merged problem tree into one copy per person, who extends
 * it alone before the group merges the copies again (carried-over problems then match by
 * lineage). Data: POST /api/trees/<id>/fork/ {"people": [usernames]}.
 */
import { ApiError, forkApi, type Member, type TreeSummary } from "../api";
import { personLabel, personName } from "../core/people";
import type { TreeNode } from "../core/types";
import { h, on, toast } from "./dom";
import { openModal } from "./modal";

export interface ForkPerson {
  /** What the fork is asked for (the identifier). */
  username: string;
  /** What the dialog shows: the name, with the username beside it (core/people.ts). */
  label: string;
  /** The name alone, as the copy made for them is titled and named ("Alice Chen's copy"). */
  name: string;
  role: Member["role"];
  /** Ticked at first: the people who draw (owner and editors); viewers watch. */
  checked: boolean;
}

const ROLE_ORDER: Record<Member["role"], number> = { owner: 0, editor: 1, viewer: 2 };

/** The members of the tree as fork choices: owner, editors, then viewers, by name. */
export function forkPeople(members: readonly Member[]): ForkPerson[] {
  return [...members]
    .sort((a, b) => ROLE_ORDER[a.role] - ROLE_ORDER[b.role] || personName(a.user).localeCompare(personName(b.user)))
    .map((m) => ({ username: m.user.username, label: personLabel(m.user), name: personName(m.user), role: m.role, checked: m.role !== "viewer" }));
}

/** What the list of copies says beside a copy's link: whose it is, by the name the copy's title
 * carries too; the username the fork answered with stands in only for someone not listed. */
export function copyNote(person: string, people: readonly ForkPerson[]): string {
  const name = people.find((p) => p.username === person)?.name ?? person;
  return `${name}'s copy`;
}

/** A merged tree carries provenance (`meta.sources`) on its nodes; a plain problem tree not. */
export function isMergedTree(nodes: Iterable<Pick<TreeNode, "deleted" | "meta">>): boolean {
  for (const n of nodes) {
    const sources = n.meta?.sources;
    if (!n.deleted && Array.isArray(sources) && sources.length) return true;
  }
  return false;
}

export interface ForkDialogOptions {
  treeId: number;
  title: string;
  members: readonly Member[];
  navigate(path: string): void;
}

/** Ask whom to fork for, fork, then list the copies as links. */
export function openForkDialog(opts: ForkDialogOptions): void {
  const { d, body, actions, close } = openModal(`Fork “${opts.title}” for the next round`, "fork-dialog");
  const people = forkPeople(opts.members);
  const boxes = people.map((p) => {
    const box = h("input", { type: "checkbox", name: "fork-person", value: p.username });
    box.checked = p.checked;
    return box;
  });
  const list = h(
    "fieldset",
    { class: "fork-people" },
    h("legend", { text: "One copy for each of" }),
    ...people.map((p, i) => h("label", { class: "fork-person" }, boxes[i], ` ${p.label}`, h("span", { class: "muted small", text: ` (${p.role})` }))),
  );
  const status = h("div", { class: "fork-status", role: "status", "aria-live": "polite" });
  const go = h("button", { type: "button", class: "primary", text: "Fork" });
  body.append(
    h("p", {
      class: "muted small",
      text: "Each person gets a copy of this tree of their own to extend alone. Merge the copies again afterwards: problems carried over match by lineage, only new ones go through matching, and conflicting edits are reported.",
    }),
    list,
    status,
  );
  actions.prepend(go);
  let running = false;
  on(d, "cancel", (e) => {
    if (running) e.preventDefault();
  });
  on(go, "click", async () => {
    const names = boxes.filter((b) => b.checked).map((b) => b.value);
    if (!names.length) {
      status.replaceChildren(h("p", { class: "error", text: "Tick at least one person." }));
      return;
    }
    running = true;
    go.disabled = true;
    for (const b of boxes) b.disabled = true;
    status.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), ` Forking for ${names.length}…`);
    let made: { person: string; tree: TreeSummary }[];
    try {
      made = (await forkApi.fork(opts.treeId, names)).trees;
    } catch (e) {
      running = false;
      go.disabled = false;
      for (const b of boxes) b.disabled = false;
      const msg = e instanceof ApiError ? e.message : String(e);
      status.replaceChildren(h("p", { class: "error", role: "alert", text: `The fork failed: ${msg}` }));
      return;
    }
    running = false;
    list.remove();
    go.remove();
    close.textContent = "Close";
    const ul = h("ul", { class: "plain fork-copies" });
    for (const row of made) {
      const a = h("a", { href: `/app/trees/${row.tree.id}`, class: "fork-copy", text: row.tree.title });
      on(a, "click", (e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        d.close();
        opts.navigate(`/app/trees/${row.tree.id}`);
      });
      ul.append(h("li", { "data-person": row.person }, a, h("span", { class: "muted small", text: ` · ${copyNote(row.person, people)}` })));
    }
    status.replaceChildren(
      h("p", { class: "fork-done", text: `${made.length} cop${made.length === 1 ? "y" : "ies"} made. Each belongs to its person, and you can edit them all to merge them again.` }),
      ul,
    );
    toast(`Forked into ${made.length} cop${made.length === 1 ? "y" : "ies"}.`);
    close.focus();
  });
  go.focus();
}
