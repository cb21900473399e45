/** /app/workshops: the workshops I am in, and a form to run a new one (I facilitate it). */
import type { User } from "../../core/types";
import { personName } from "../../core/people";
import { h, on } from "../dom";
import "./workshop.css";
import { appLink, showError, topbar, type Navigate } from "./util";
import { workshopApi, type Workshop } from "./wsapi";

export function workshopListPage(me: User, navigate: Navigate, signOut: () => void): HTMLElement {
  const title = h("input", { id: "ws-title", name: "title", required: true, maxlength: 200 });
  const name = h("input", { id: "ws-name", name: "display_name", maxlength: 60, placeholder: personName(me) });
  const create = h(
    "form",
    { class: "card ws-create" },
    h("h2", { text: "Run a workshop" }),
    h("label", { class: "field" }, h("span", { text: "Title" }), title),
    h("label", { class: "field" }, h("span", { text: "Your name in it (optional)" }), name),
    h("button", { type: "submit", class: "primary", text: "Create workshop" }),
  );
  on(create, "submit", async (e) => {
    e.preventDefault();
    if (!title.value.trim()) return;
    try {
      const w = await workshopApi.create(title.value.trim(), name.value.trim() || undefined);
      navigate(`/app/workshops/${w.id}`);
    } catch (x) {
      showError(x);
    }
  });
  const list = h("ul", { class: "tree-list", "aria-label": "My workshops" }, h("li", { class: "muted", text: "Loading…" }));
  const item = (w: Workshop) =>
    h(
      "li",
      { class: "tree-item", "data-workshop": w.id },
      h("div", { class: "head" }, appLink(`/app/workshops/${w.id}`, w.title, navigate, { class: "tree-link" })),
      h(
        "div",
        { class: "meta" },
        h("span", { text: w.role === "facilitator" ? "you facilitate" : `you are ${w.display_name}` }),
        h("span", { text: w.open ? "open to joins" : "closed to joins" }),
        h("span", { text: `created ${new Date(w.created_at).toLocaleDateString()}` }),
      ),
    );
  void (async () => {
    try {
      const rows = await workshopApi.list();
      rows.sort((a, b) => b.created_at.localeCompare(a.created_at));
      list.replaceChildren(...(rows.length ? rows.map(item) : [h("li", { class: "muted empty", text: "No workshops yet." })]));
    } catch (x) {
      showError(x);
    }
  })();
  const joinLink = appLink("/join", "Join one with a code", navigate);
  return h(
    "div",
    { class: "listpage" },
    topbar(me, navigate, signOut, appLink("/", "My trees", navigate, { class: "nav-link" })),
    h(
      "main",
      { class: "container" },
      h("section", {}, h("h1", { text: "Workshops" }), list, h("p", { class: "small" }, joinLink)),
      create,
    ),
  );
}

/**
 * On the tree list: the workshops I am in, one tap away (a group's game tree has no member
 * rows, so it is not in the tree list: the workshop page is the way to it). Hidden when none.
 * `ready` settles once the list is known, so the page can show it together with the trees
 * instead of pushing what is already on screen down when it arrives.
 */
export function workshopShortcuts(navigate: Navigate): { el: HTMLElement; ready: Promise<void> } {
  const list = h("ul", { class: "plain ws-shortcuts" });
  const box = h("section", { class: "card ws-shortcuts-card", hidden: true, "aria-labelledby": "ws-shortcuts-h" }, h("h2", { id: "ws-shortcuts-h", text: "Your workshops" }), list);
  const ready = workshopApi.list().then(
    (rows) => {
      rows.sort((a, b) => b.created_at.localeCompare(a.created_at));
      list.replaceChildren(
        ...rows.slice(0, 5).map((w) =>
          h(
            "li",
            {},
            appLink(`/app/workshops/${w.id}`, w.title, navigate, { class: "ws-link" }),
            h("span", { class: "muted small", text: w.role === "facilitator" ? " · you facilitate" : ` · you are ${w.display_name}` }),
          ),
        ),
      );
      box.hidden = rows.length === 0;
    },
    () => undefined,
  );
  return { el: box, ready };
}
