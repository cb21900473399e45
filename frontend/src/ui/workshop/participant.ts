/**
 * A participant's workshop home (phone first): who I am here, my group and its members, my
 * tree(s) for the current exercise, the round's timer and the blind-round banner; and a way to
 * set a password to come back later.
 */
import type { User } from "../../core/types";
import { h, on, toast } from "../dom";
import { boardApi, renderComparison } from "./board";
import { currentExercise, kindLabel, mergeStatusText, ownProblemTrees, roundLabel, sortTrees, treeLabel } from "./state";
import { appLink, showError, type Navigate } from "./util";
import { workshopApi, type Exercise, type Home, type Workshop } from "./wsapi";

export class ParticipantView {
  readonly el: HTMLElement;
  private round: HTMLElement;
  private group: HTMLElement;
  private trees: HTMLElement;
  private compare = new CompareCard();

  constructor(
    readonly w: Workshop,
    readonly me: User,
    private readonly navigate: Navigate,
  ) {
    this.round = h("section", { class: "card ws-round", "aria-labelledby": "round-h", "aria-live": "polite" });
    this.group = h("section", { class: "card ws-mygroup", "aria-labelledby": "mygroup-h" });
    this.trees = h("section", { class: "card ws-mytrees", "aria-labelledby": "mytrees-h" });
    this.el = h("div", { class: "ws-main ws-home" }, this.round, this.group, this.trees, this.compare.el, passwordCard(me));
    this.round.append(h("h2", { id: "round-h", text: "Waiting for the facilitator" }));
  }

  update(home: Home): void {
    // A live re-render keeps the focus where it was (a tree link a keyboard user is on).
    const active = document.activeElement as HTMLElement | null;
    const focusKey = active && this.el.contains(active) ? active.dataset.focusKey : undefined;
    this.render(home);
    if (focusKey) this.el.querySelector<HTMLElement>(`[data-focus-key="${focusKey}"]`)?.focus();
  }

  private render(home: Home): void {
    const people = new Map(home.participants.map((p) => [p.id, p]));
    const myId = home.me.id;
    const ex = currentExercise(home.exercises);
    const running = ex?.rounds.find((r) => r.state === "running") ?? null;

    // The round now: its timer, and the blind banner.
    const parts: Node[] = [];
    if (ex && running) {
      parts.push(
        h("h2", { id: "round-h", text: ex.title }),
        h("p", { class: "muted", text: `${kindLabel(ex)} · ${roundLabel(ex, running)}` }),
        h("p", { class: "countdown big", role: "timer", "data-ends-at": running.ends_at ?? "", id: "my-timer" }),
      );
      if (running.blind && running.mode === "individual")
        parts.push(
          h("p", {
            class: "blind-banner",
            id: "blind-banner",
            text: "Blind round: draw your own tree without looking at the others'. Your group merges them when the round ends.",
          }),
        );
    } else if (ex) {
      const last = [...ex.rounds].reverse().find((r) => r.state === "ended");
      const next = ex.rounds.find((r) => r.state === "pending");
      parts.push(
        h("h2", { id: "round-h", text: ex.title }),
        h("p", {
          class: "muted",
          text: next
            ? `${last ? `Round ${last.number} has ended. ` : ""}Waiting for the facilitator to start round ${next.number}.`
            : "This exercise has ended.",
        }),
      );
      const merge = last?.merges.find((m) => m.group === home.group?.id);
      if (merge)
        parts.push(h("p", { class: `merge-note m-${merge.status}`, id: "my-merge", text: `Your group's trees: ${mergeStatusText(merge.status)}.` }));
    } else {
      parts.push(
        h("h2", { id: "round-h", text: "Waiting for the facilitator" }),
        h("p", { class: "muted", text: "The first exercise shows here as soon as it starts." }),
      );
    }
    this.round.replaceChildren(...parts);

    // My group and who is in it.
    const g = home.group;
    if (g) {
      const ul = h("ul", { class: "plain group-people", "aria-label": `Members of ${g.name}` });
      for (const id of g.members) {
        const p = people.get(id);
        ul.append(h("li", { text: (p?.display_name ?? "someone") + (id === myId ? " (you)" : "") }));
      }
      this.group.replaceChildren(h("h2", { id: "mygroup-h" }, "Your group: ", h("span", { class: "group-name", text: g.name })), ul);
    } else {
      this.group.replaceChildren(
        h("h2", { id: "mygroup-h", text: "Your group" }),
        h("p", { class: "muted", text: "You are not in a group yet: the facilitator puts everyone in one." }),
      );
    }

    // My trees: the current exercise first, then earlier ones folded away.
    const body: Node[] = [h("h2", { id: "mytrees-h", text: "Your trees" })];
    if (ex) body.push(this.treeList(ex, myId, people, true));
    else body.push(h("p", { class: "muted", text: "None yet." }));
    const others = home.exercises.filter((e) => e !== ex && e.trees.length);
    if (others.length) {
      const d = h("details", { class: "earlier" }, h("summary", { text: "Other exercises" }));
      for (const e of others) d.append(h("h3", { text: e.title }), this.treeList(e, myId, people, false));
      body.push(d);
    }
    this.trees.replaceChildren(...body);
    this.compare.update(ownProblemTrees(home.exercises, myId));
  }

  private treeList(e: Exercise, myId: number, people: Map<number, Home["participants"][number]>, current: boolean): HTMLElement {
    const trees = sortTrees(e.trees, myId, e);
    if (!trees.length)
      return h("p", { class: "muted small", text: current ? "Your trees appear here when the round starts." : "No trees." });
    return h(
      "ul",
      { class: `plain tree-links${current ? " current" : ""}`, "aria-label": `Trees of ${e.title}` },
      ...trees.map((t) =>
        h(
          "li",
          { "data-tree": t.tree, "data-kind": t.kind },
          // A merged tree opens on its review queue, the group's work on it (the outline said
          // nothing of the queue waiting on the Analysis tab).
          appLink(`/app/trees/${t.tree}${t.kind === "merged" ? "#review" : ""}`, treeLabel(t, myId, people, e), this.navigate, {
            class: "tree-open",
            "data-focus-key": `tree-${t.tree}`,
          }),
          h("span", { class: "muted small", text: t.role === "viewer" ? " read-only" : "" }),
        ),
      ),
    );
  }

  destroy(): void {}
}

/**
 * Before and after: two of my own problem trees (two phases, or two rounds) side by side: what
 * I added, dropped and reworded (GET /api/compare/, which needs read access to both). Shown
 * once I have two; the choice survives the live re-renders of the home.
 */
class CompareCard {
  readonly el: HTMLElement;
  private before = h("select", { "aria-label": "Before", id: "my-compare-before" });
  private after = h("select", { "aria-label": "After", id: "my-compare-after" });
  private seen = "";

  constructor() {
    const go = h("button", { type: "button", text: "Compare", id: "my-compare-go" });
    const out = h("div", { class: "compare-out", "aria-live": "polite" });
    on(go, "click", async () => {
      try {
        out.replaceChildren(renderComparison(await boardApi.compare(Number(this.before.value), Number(this.after.value))));
      } catch (x) {
        showError(x);
      }
    });
    this.el = h(
      "section",
      { class: "card compare-card", "aria-labelledby": "my-compare-h", hidden: true },
      h("h2", { id: "my-compare-h", text: "Before and after" }),
      h("p", { class: "muted small", text: "Two of your problem trees: what you added, dropped and reworded." }),
      h("div", { class: "row" }, this.before, this.after, go),
      out,
    );
  }

  update(trees: { tree: number; label: string }[]): void {
    const key = JSON.stringify(trees);
    if (key === this.seen) return;
    this.seen = key;
    this.el.hidden = trees.length < 2;
    const keep = [this.before.value, this.after.value];
    for (const select of [this.before, this.after])
      select.replaceChildren(...trees.map((t) => h("option", { value: String(t.tree), text: t.label })));
    if (trees.length < 2) return;
    const has = (v: string) => trees.some((t) => String(t.tree) === v);
    this.before.value = has(keep[0]) ? keep[0] : String(trees[0].tree);
    this.after.value = has(keep[1]) ? keep[1] : String(trees[trees.length - 1].tree);
  }
}

/** "Come back later": a first password for an account made by joining. */
export function passwordCard(me: User): HTMLElement {
  const pass = h("input", { id: "first-password", type: "password", autocomplete: "new-password", minlength: 8, required: true });
  const user = h("input", { type: "text", autocomplete: "username", value: me.username, readonly: true, id: "first-username" });
  const err = h("p", { class: "error", role: "alert" });
  const save = h("button", { type: "submit", class: "primary", text: "Set password" });
  const form = h(
    "form",
    { class: "pw-form" },
    h("p", { class: "small", text: "To come back later from another device, set a password. You will sign in with this username:" }),
    h("label", { class: "field" }, h("span", { text: "Username" }), user),
    h("label", { class: "field" }, h("span", { text: "New password" }), pass),
    err,
    save,
  );
  const box = h("details", { class: "card pw-card" }, h("summary", { text: "Come back later: set a password" }), form);
  on(form, "submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    save.disabled = true;
    try {
      await workshopApi.setPassword(pass.value);
      form.replaceChildren(
        h("p", { role: "status", text: `Password set. Next time, sign in as ${me.username} with it.` }),
      );
      toast("Password set.");
    } catch (x) {
      err.textContent = (x as Error).message;
    } finally {
      save.disabled = false;
    }
  });
  return box;
}
