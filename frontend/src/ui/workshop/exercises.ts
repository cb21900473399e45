/**
 * The facilitator's exercises and their rounds: add a game tree, a problem tree (individual
 * rounds, blind by default, merged per group at each round's end) or a before/after-reading
 * pair; start a round with its duration, extend it, end it, retry a group's failed merge; and
 * every tree of every group, read-only for the facilitator.
 */
import { h, on, toast } from "../dom";
import { kindLabel, mergeStatusText, roundLabel } from "./state";
import { appLink, showError, type Navigate } from "./util";
import { roundsApi, type ExTree, type Exercise, type Home, type Round, type Template } from "./wsapi";

export class ExercisesPanel {
  readonly el: HTMLElement;
  private list: HTMLElement;
  /** Exercises whose list of trees is unfolded (kept across live re-renders). */
  private openTrees = new Set<number>();

  constructor(
    private readonly workshopId: number,
    private readonly navigate: Navigate,
    private readonly reload: () => void,
  ) {
    this.list = h("ol", { class: "plain exercises", "aria-label": "Exercises" });
    this.el = h(
      "section",
      { class: "card ws-exercises", "aria-labelledby": "exercises-h" },
      h("h2", { id: "exercises-h", text: "Exercises" }),
      this.list,
      this.addForm(),
    );
  }

  private addForm(): HTMLElement {
    const template = h(
      "select",
      { id: "ex-template", name: "template" },
      h("option", { value: "game_tree", text: "Game tree (one per group)" }),
      h("option", { value: "problem_tree", text: "Problem tree (each alone, then merged)" }),
      h("option", { value: "before_after_reading", text: "Problem trees before and after reading" }),
    );
    const title = h("input", { id: "ex-title", name: "title", maxlength: 200, placeholder: "Optional" });
    const minutes = h("input", { id: "ex-minutes", name: "minutes", type: "number", min: 1, max: 240, value: 15, inputmode: "numeric" });
    const rounds = h("input", { id: "ex-rounds", name: "rounds", type: "number", min: 1, max: 6, value: 2, inputmode: "numeric" });
    const blind = h("input", { id: "ex-blind", name: "blind", type: "checkbox", checked: true });
    const problemOnly = h(
      "div",
      { class: "ex-problem-only" },
      h("span", { class: "inline" }, h("label", { for: rounds.id, text: "Rounds" }), rounds),
      h("span", { class: "inline" }, blind, h("label", { for: blind.id, text: "Blind (nobody sees the others' trees until the merge)" })),
    );
    const sync = () => (problemOnly.hidden = template.value === "game_tree");
    on(template, "change", sync);
    sync();
    const add = h("button", { type: "submit", class: "primary", text: "Add exercise" });
    const form = h(
      "form",
      { class: "ex-add" },
      h("h3", { text: "Add an exercise" }),
      h("span", { class: "inline" }, h("label", { for: template.id, text: "Kind" }), template),
      h("span", { class: "inline" }, h("label", { for: title.id, text: "Title" }), title),
      h("span", { class: "inline" }, h("label", { for: minutes.id, text: "Minutes per round" }), minutes),
      problemOnly,
      add,
    );
    on(form, "submit", async (e) => {
      e.preventDefault();
      const t = template.value as Template;
      add.disabled = true;
      try {
        const r = await roundsApi.addExercise(this.workshopId, {
          template: t,
          ...(title.value.trim() ? { title: title.value.trim() } : {}),
          duration_seconds: Math.round(Number(minutes.value || 15) * 60),
          ...(t === "game_tree" ? {} : { rounds: Number(rounds.value || 2), blind: blind.checked }),
        });
        title.value = "";
        toast(r.exercises.length > 1 ? `${r.exercises.length} exercises added.` : `“${r.exercises[0].title}” added.`);
        this.reload();
      } catch (x) {
        showError(x);
      } finally {
        add.disabled = false;
      }
    });
    return form;
  }

  update(home: Home): void {
    const focusKey = (document.activeElement as HTMLElement | null)?.dataset?.focusKey;
    for (const d of this.list.querySelectorAll<HTMLDetailsElement>("li.exercise > details.ex-trees"))
      if (d.open) this.openTrees.add(Number(d.closest<HTMLElement>("li.exercise")!.dataset.exercise));
      else this.openTrees.delete(Number(d.closest<HTMLElement>("li.exercise")!.dataset.exercise));
    // Minutes typed into a round not started yet survive a re-render (someone joined meanwhile).
    const typed = new Map<string, string>();
    for (const i of this.list.querySelectorAll<HTMLInputElement>("input[data-focus-key]")) typed.set(i.dataset.focusKey!, i.value);
    const exercises = [...home.exercises].sort((a, b) => a.position - b.position || a.id - b.id);
    this.list.replaceChildren(
      ...(exercises.length
        ? exercises.map((e) => this.exercise(e, home))
        : [h("li", { class: "muted", text: "No exercises yet: add one below." })]),
    );
    for (const i of this.list.querySelectorAll<HTMLInputElement>("input[data-focus-key]")) {
      const v = typed.get(i.dataset.focusKey!);
      if (v !== undefined) i.value = v;
    }
    if (focusKey) this.list.querySelector<HTMLElement>(`[data-focus-key="${focusKey}"]`)?.focus();
  }

  private exercise(e: Exercise, home: Home): HTMLElement {
    const started = e.rounds.some((r) => r.started_at);
    const head = h(
      "div",
      { class: "ex-head" },
      h("h3", { class: "ex-title", text: e.title }),
      h("span", { class: `kind k-${e.kind === "game_tree" ? "game" : "problem"}`, text: kindLabel(e) }),
    );
    if (!started) {
      const del = h("button", { type: "button", class: "subtle danger", text: "Delete", "aria-label": `Delete ${e.title}` });
      on(del, "click", async () => {
        if (!confirm(`Delete the exercise “${e.title}” and its trees?`)) return;
        try {
          await roundsApi.deleteExercise(this.workshopId, e.id);
          this.reload();
        } catch (x) {
          showError(x);
        }
      });
      head.append(del);
    }
    const rounds = h("ol", { class: "plain rounds" }, ...e.rounds.map((r) => this.round(e, r, home)));
    return h("li", { class: "exercise", "data-exercise": e.id }, head, rounds, this.trees(e, home));
  }

  private round(e: Exercise, r: Round, home: Home): HTMLElement {
    const li = h("li", { class: `round r-${r.state}`, "data-round": r.id, "data-state": r.state });
    li.append(h("span", { class: "round-label", text: roundLabel(e, r) }));
    const key = (what: string) => `round-${r.id}-${what}`;
    if (r.state === "pending") {
      const min = h("input", {
        type: "number",
        min: 1,
        max: 240,
        value: Math.round(r.duration_seconds / 60),
        class: "minutes",
        inputmode: "numeric",
        "aria-label": `Minutes for ${e.title}, round ${r.number}`,
        "data-focus-key": key("minutes"),
      });
      const start = h("button", {
        type: "button",
        class: "primary",
        text: "Start",
        "aria-label": `Start ${e.title}, round ${r.number}`,
        "data-focus-key": key("start"),
      });
      on(start, "click", async () => {
        start.disabled = true;
        try {
          await roundsApi.start(this.workshopId, r.id, Math.round(Number(min.value || 1) * 60));
          this.reload();
        } catch (x) {
          start.disabled = false;
          showError(x);
        }
      });
      li.append(h("span", { class: "inline" }, min, h("span", { class: "muted small", text: "min" })), start);
    } else if (r.state === "running") {
      li.append(h("span", { class: "countdown", role: "timer", "data-ends-at": r.ends_at ?? "" }));
      for (const [label, s] of [
        ["+1 min", 60],
        ["+5 min", 300],
      ] as const) {
        const b = h("button", {
          type: "button",
          class: "subtle",
          text: label,
          // The visible text first (WCAG 2.5.3), as for End round.
          "aria-label": `${label}: extend ${e.title}, round ${r.number}, by ${s / 60} minute${s > 60 ? "s" : ""}`,
          "data-focus-key": key(`ext${s}`),
        });
        on(b, "click", async () => {
          try {
            await roundsApi.extend(this.workshopId, r.id, s);
            this.reload();
          } catch (x) {
            showError(x);
          }
        });
        li.append(b);
      }
      const end = h("button", {
        type: "button",
        class: "subtle danger",
        text: "End round",
        // The visible text first (WCAG 2.5.3): "End round" said aloud finds it.
        "aria-label": `End round: ${e.title}, round ${r.number}`,
        "data-focus-key": key("end"),
      });
      on(end, "click", async () => {
        const merges = r.mode === "individual" ? " Each group's trees are then merged." : "";
        if (!confirm(`End ${e.title}, round ${r.number}, now?${merges}`)) return;
        try {
          await roundsApi.end(this.workshopId, r.id);
          this.reload();
        } catch (x) {
          showError(x);
        }
      });
      li.append(end);
      // Someone who joined or was grouped after the start gets their tree(s) now.
      const prep = h("button", {
        type: "button",
        class: "link small",
        text: "Make trees for latecomers",
        "aria-label": `Make trees for latecomers: ${e.title}, round ${r.number}, for people grouped since it started`,
        "data-focus-key": key("prepare"),
      });
      on(prep, "click", async () => {
        try {
          await roundsApi.prepare(this.workshopId, r.id);
          toast("Everyone grouped now has their trees.");
          this.reload();
        } catch (x) {
          showError(x);
        }
      });
      li.append(prep);
    } else {
      li.append(h("span", { class: "muted small", text: `ended ${r.ended_at ? new Date(r.ended_at).toLocaleTimeString() : ""}` }));
      if (r.merges.length) {
        const groups = new Map(home.groups.map((g) => [g.id, g.name]));
        const ul = h("ul", { class: "plain merges", "aria-label": `Merges of round ${r.number}` });
        for (const m of r.merges) {
          const item = h(
            "li",
            { class: `merge m-${m.status}`, "data-group": m.group, "data-status": m.status },
            h("span", { text: `${groups.get(m.group) ?? "A group"}: ` }),
            h("span", { class: "merge-status", text: mergeStatusText(m.status) }),
          );
          if (m.tree) item.append(" ", appLink(`/app/trees/${m.tree}`, "open", this.navigate));
          ul.append(item);
        }
        li.append(ul);
        if (r.merges.some((m) => m.status === "failed")) {
          const retry = h("button", { type: "button", class: "subtle", text: "Retry failed merges", "data-focus-key": key("retry") });
          on(retry, "click", async () => {
            try {
              await roundsApi.merge(this.workshopId, r.id);
              this.reload();
            } catch (x) {
              showError(x);
            }
          });
          li.append(retry);
        }
      }
    }
    return li;
  }

  /** Every tree of the exercise, by group (facilitators read them all without an invitation). */
  private trees(e: Exercise, home: Home): HTMLElement {
    const people = new Map(home.participants.map((p) => [p.id, p.display_name]));
    const box = h("details", { class: "ex-trees", open: this.openTrees.has(e.id) }, h("summary", { text: `Trees (${e.trees.length})` }));
    if (!e.trees.length) {
      box.append(h("p", { class: "muted small", text: "Made for every grouped person when the exercise is added or a round starts." }));
      return box;
    }
    const byGroup = new Map<number, ExTree[]>();
    for (const t of e.trees) byGroup.set(t.group, [...(byGroup.get(t.group) ?? []), t]);
    const ul = h("ul", { class: "plain" });
    for (const g of home.groups) {
      const ts = byGroup.get(g.id);
      if (!ts) continue;
      const links = ts.map((t) => {
        const round = e.rounds.find((r) => r.id === t.round);
        const who = t.kind === "individual" ? (people.get(t.participant ?? -1) ?? "someone") : t.kind === "merged" ? "merged" : "group";
        const text = round && e.rounds.length > 1 ? `${who} (round ${round.number})` : who;
        return appLink(`/app/trees/${t.tree}`, text, this.navigate, { "data-tree": String(t.tree) });
      });
      const li = h("li", {}, h("strong", { text: `${g.name}: ` }));
      links.forEach((a, i) => li.append(...(i ? [" · ", a] : [a])));
      ul.append(li);
    }
    box.append(ul);
    return box;
  }
}
