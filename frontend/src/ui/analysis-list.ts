/**
 * Analysis actions of the tree list: pick trees with a checkbox, then "Compare failure modes"
 * (the taut-constraint board across the picked game trees) or "Merge trees" (two or more
 * problem trees into one merged problem tree, then its review screen). docs/analysis.md.
 */
import { analysisApi, ApiError, type MergeJob, type TreeSummary } from "../api";
import { percent, phaseText, pollMerge } from "../core/merge";
import { personName, titleWithName } from "../core/people";
import { boardTable } from "./board";
import { h, on, toast } from "./dom";
import { type Modal, openModal } from "./modal";

export interface ListTools {
  /** The toolbar (goes above the lists). */
  bar: HTMLElement;
  /** Add the pick checkbox to one tree item. */
  decorate(li: HTMLElement, t: TreeSummary): void;
  /** The list was (re)loaded. */
  reset(trees: TreeSummary[]): void;
}

export function analysisListTools(navigate: (p: string) => void): ListTools {
  const picked = new Set<number>();
  let trees = new Map<number, TreeSummary>();
  const count = h("span", { class: "pick-count", role: "status" });
  const compare = h("button", { type: "button", class: "subtle", text: "Compare failure modes" });
  const merge = h("button", { type: "button", class: "subtle", text: "Merge trees…" });
  const clear = h("button", { type: "button", class: "link", text: "clear" });
  const bar = h(
    "section",
    { class: "pick-bar card", "aria-label": "Analyse several trees" },
    h("span", { class: "muted small pick-hint", text: "Tick trees to compare their failure modes (game trees) or merge them (problem trees)." }),
    h("div", { class: "pick-actions" }, count, clear, compare, merge),
  );

  const selected = () => [...picked].map((id) => trees.get(id)).filter((t): t is TreeSummary => !!t);
  const update = () => {
    const sel = selected();
    const games = sel.filter((t) => t.kind === "game").length;
    const problems = sel.filter((t) => t.kind === "problem").length;
    count.textContent = sel.length ? `${sel.length} selected` : "";
    clear.hidden = !sel.length;
    compare.disabled = !sel.length || (games > 0 && problems > 0);
    compare.title = games && problems ? "Pick trees of one kind" : "The taut-constraint board across the picked trees";
    merge.disabled = problems < 2 || games > 0;
    merge.title = merge.disabled ? "Pick two or more problem trees" : "Merge the picked problem trees into one";
  };
  on(clear, "click", () => {
    picked.clear();
    for (const box of document.querySelectorAll<HTMLInputElement>("input.pick-tree")) box.checked = false;
    update();
  });
  on(compare, "click", () => void compareDialog(selected(), trees, navigate));
  on(merge, "click", () => mergeDialog(selected(), navigate));
  update();

  return {
    bar,
    decorate(li, t) {
      const box = h("input", { type: "checkbox", class: "pick-tree", "aria-label": `Select “${t.title}”` });
      box.checked = picked.has(t.id);
      on(box, "change", () => {
        if (box.checked) picked.add(t.id);
        else picked.delete(t.id);
        update();
      });
      const head = li.querySelector(".head") ?? li;
      head.prepend(box);
    },
    reset(list) {
      trees = new Map(list.map((t) => [t.id, t]));
      for (const id of [...picked]) if (!trees.has(id)) picked.delete(id);
      update();
    },
  };
}

function modal(title: string, cls: string): Modal {
  return openModal(title, cls, "Close");
}

async function compareDialog(sel: TreeSummary[], all: Map<number, TreeSummary>, navigate: (p: string) => void): Promise<void> {
  if (!sel.length) return;
  const { d, body } = modal(
    sel.length === 1 ? `Failure modes of “${sel[0].title}”` : `Failure modes across ${sel.length} trees`,
    "board-dialog",
  );
  body.append(
    h("p", { class: "muted small", text: sel.map((t) => t.title).join(" · ") }),
    h("p", { class: "muted", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), " Ranking…"),
  );
  try {
    const data = await analysisApi.recurring(sel.map((t) => t.id), 50);
    body.lastElementChild?.remove();
    body.append(
      boardTable(data.kind, data.items, {
        treeTitle: (id) => all.get(id)?.title ?? null,
        onJump: (m) => {
          d.close();
          navigate(`/app/trees/${m.tree}#node=${encodeURIComponent(m.node)}`);
        },
      }),
    );
  } catch (e) {
    body.lastElementChild?.remove();
    body.append(h("p", { class: "error", text: `Could not rank failure modes: ${(e as Error).message}` }));
  }
}

function mergeDialog(sel: TreeSummary[], navigate: (p: string) => void): void {
  if (sel.length < 2) return;
  const { d, body, actions } = modal(`Merge ${sel.length} problem trees`, "merge-dialog");
  const title = h("input", { maxlength: 200, required: true, "aria-label": "Title of the merged tree" });
  title.value = `Merged: ${sel.map((t) => (t.title.split(":")[0] || t.title).trim().slice(0, 40)).join(" + ")}`.slice(0, 200);
  // The bar is not in the live region: a screen reader would read every percent. It reads
  // the start, the end and any error; the bar itself has its value and phase.
  const progress = h("div", { class: "merge-progress", hidden: true });
  const status = h("div", { class: "merge-status", role: "status", "aria-live": "polite" });
  const go = h("button", { type: "button", class: "primary", text: "Merge" });
  body.append(
    h("ul", { class: "plain merge-sources" }, ...sel.map((t) => h("li", { text: `● ${titleWithName(t.title, personName(t.owner), (x, n) => `${x} (${n})`)}` }))),
    h("label", { class: "field" }, h("span", { text: "Title of the merged tree" }), title),
    h("p", {
      class: "muted small",
      text: "Problems that are clearly the same are merged at once; likely matches go to a review queue. Every member of the picked trees becomes a member of the merged tree.",
    }),
    progress,
    status,
  );
  actions.prepend(go);
  // The merge runs on the server: closing the dialog does not stop it, and a toast says when
  // it is done.
  let open = true;
  on(d, "close", () => (open = false));
  let running = false;
  const fail = (message: string, code: string) => {
    running = false;
    go.disabled = false;
    go.textContent = "Try again";
    title.disabled = false;
    progress.hidden = true;
    status.replaceChildren(h("p", { class: "error merge-error", "data-code": code, text: `The merge failed: ${message}` }));
    if (!open) toast(`The merge failed: ${message}`, { kind: "error" });
  };
  const run = async () => {
    if (running || !title.value.trim()) {
      title.focus();
      return;
    }
    running = true;
    go.disabled = true;
    title.disabled = true;
    const t0 = Date.now();
    const bar = h("div", { class: "bar-fill" });
    const meter = h(
      "div",
      { class: "bar merge-bar", role: "progressbar", "aria-label": "Merge progress", "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": 0, "aria-valuetext": "Starting the merge, 0%" },
      bar,
    );
    const label = h("span", { class: "merge-phase", text: "Starting the merge…" });
    const pct = h("span", { class: "merge-percent", text: "0%" });
    const count = h("span", { class: "merge-count muted small" });
    const tick = () => (count.textContent = `${Math.floor((Date.now() - t0) / 1000)} s`);
    tick();
    const timer = window.setInterval(tick, 500);
    progress.replaceChildren(h("div", { class: "merge-progress-text" }, label, " ", pct, " ", count), meter);
    progress.hidden = false;
    status.replaceChildren(h("span", { class: "sr-only", text: `Merging ${sel.length} trees…` }));
    const show = (job: MergeJob) => {
      const p = percent(job);
      const text = phaseText(job.status === "queued" ? "queued" : job.phase);
      label.textContent = `${text}…`;
      pct.textContent = `${p}%`;
      meter.setAttribute("aria-valuenow", String(p));
      meter.setAttribute("aria-valuetext", `${text}, ${p}%`);
      bar.style.width = `${p}%`;
    };
    let job: MergeJob;
    try {
      const started = await analysisApi.merge(sel.map((t) => t.id), title.value.trim());
      job = await pollMerge(started, () => analysisApi.mergeStatus(started.url), show);
    } catch (e) {
      clearInterval(timer);
      fail((e as Error).message, e instanceof ApiError ? e.code : "error");
      return;
    }
    clearInterval(timer);
    if (job.status === "failed" || !job.tree) {
      fail(job.error?.message ?? "the server gave no reason.", job.error?.code ?? "error");
      return;
    }
    const id = job.tree.id;
    const n = job.suggestions ?? 0;
    const dis = job.disagreements?.length ?? 0;
    const summary = `${n} suggestion${n === 1 ? "" : "s"} to review${dis ? `, ${dis} disagreement${dis === 1 ? "" : "s"}` : ""}`;
    if (!open) {
      toast(`Merged tree created: ${summary}.`, { actions: [{ label: "Open the review", run: () => navigate(`/app/trees/${id}#review`) }] });
      return;
    }
    status.replaceChildren(
      h("p", { class: "merge-done", text: `Merged in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${summary}. Opening the review…` }),
    );
    toast(`Merged tree created: ${summary}.`);
    window.setTimeout(() => {
      d.close();
      navigate(`/app/trees/${id}#review`);
    }, 700);
  };
  on(go, "click", () => void run());
  on(title, "keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      void run();
    }
  });
  title.focus();
  title.select();
}
