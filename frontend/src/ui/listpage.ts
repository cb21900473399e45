/** Sign-in form and the list of trees: mine and shared with me, create, rename, members, delete, leave. */
import { api, ApiError, type Member, type TreeSummary } from "../api";
import type { TreeKind, User } from "../core/types";
import { personLabel, personName } from "../core/people";
import { analysisListTools } from "./analysis-list";
import { h, on, toast } from "./dom";
import { openImportDialog } from "./import";
import { workshopShortcuts } from "./workshop/list";
import { shareLinksPanel } from "./workshop/sharelinks";

/** The sign-in page; `why` says what signing in opens (a share link's tree). */
export function loginPage(onDone: (u: User) => void, why?: string): HTMLElement {
  const user = h("input", { name: "username", autocomplete: "username", required: true, id: "login-user" });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true, id: "login-pass" });
  const err = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary", text: "Sign in" });
  const form = h(
    "form",
    { class: "card login" },
    h("h1", { text: "Gametree" }),
    h("p", { class: "muted", text: "Build game trees and problem trees together, live." }),
    ...(why ? [h("p", { class: "sign-in-why", role: "status", text: why })] : []),
    h("label", { class: "field" }, h("span", { text: "Username" }), user),
    h("label", { class: "field" }, h("span", { text: "Password" }), pass),
    err,
    submit,
  );
  on(form, "submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    submit.disabled = true;
    try {
      onDone(await api.login(user.value.trim(), pass.value));
    } catch (x) {
      err.textContent = x instanceof ApiError && x.status < 500 && x.status !== 0 ? "Wrong username or password." : (x as Error).message;
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => user.focus());
  return h("main", { class: "center" }, form);
}

export function listPage(me: User, navigate: (p: string) => void, signOut: () => void): HTMLElement {
  const mine = h("ul", { class: "tree-list", "aria-label": "My trees" });
  const shared = h("ul", { class: "tree-list", "aria-label": "Shared with me" });
  const out = h("button", { type: "button", class: "link", text: "Sign out" });
  on(out, "click", signOut);

  const title = h("input", { name: "title", placeholder: "Title", required: true, maxlength: 200, "aria-label": "Title" });
  const kind = h("select", { name: "kind", "aria-label": "Kind" }, h("option", { value: "game", text: "Game tree" }), h("option", { value: "problem", text: "Problem tree" }));
  const importBtn = h("button", { type: "button", class: "subtle", text: "Import…", "aria-haspopup": "dialog" });
  on(importBtn, "click", () => openImportDialog((t) => navigate(`/app/trees/${t.id}`), importBtn));
  const create = h("form", { class: "create" }, kind, title, h("button", { type: "submit", class: "primary", text: "Create" }), importBtn);
  on(create, "submit", async (e) => {
    e.preventDefault();
    if (!title.value.trim()) return;
    try {
      const t = await api.createTree(kind.value as TreeKind, title.value.trim());
      navigate(`/app/trees/${t.id}`);
    } catch (x) {
      toast((x as Error).message, { kind: "error" });
    }
  });

  const tools = analysisListTools(navigate);
  // The workshops card sits between the new-tree form and the lists and appears with them, so
  // nothing already on screen (the form, "Import…") moves when either list arrives.
  const shortcuts = workshopShortcuts(navigate);
  const load = async () => {
    let trees: TreeSummary[];
    try {
      [trees] = await Promise.all([api.trees(), shortcuts.ready]);
    } catch (x) {
      toast((x as Error).message, { kind: "error" });
      return;
    }
    trees.sort((a, b) => b.updated_at.localeCompare(a.updated_at));
    const own = trees.filter((t) => t.role === "owner");
    const oth = trees.filter((t) => t.role !== "owner");
    tools.reset(trees);
    mine.replaceChildren(...(own.length ? own.map((t) => item(t)) : [h("li", { class: "muted empty", text: "No trees yet: create one above." })]));
    shared.replaceChildren(...(oth.length ? oth.map((t) => item(t)) : [h("li", { class: "muted empty", text: "Nothing shared with you yet." })]));
    document.body.dataset.listReady = "";
  };

  const item = (t: TreeSummary): HTMLElement => {
    const link = h("a", { href: `/app/trees/${t.id}`, class: "tree-link", text: t.title || "(untitled)" });
    on(link, "click", (e) => {
      e.preventDefault();
      navigate(`/app/trees/${t.id}`);
    });
    const meta = h(
      "div",
      { class: "meta" },
      h("span", { class: `kind k-${t.kind}`, text: t.kind === "game" ? "Game tree" : "Problem tree" }),
      h("span", { text: t.role === "owner" ? "owned by you" : `${personName(t.owner)} · you are ${t.role}` }),
      h("span", { text: `updated ${new Date(t.updated_at).toLocaleString()}` }),
    );
    const actions = h("div", { class: "actions" });
    const panel = h("div", { class: "members", hidden: true });
    const li = h("li", { class: "tree-item", "data-tree": t.id }, h("div", { class: "head" }, link, actions), meta, panel);
    tools.decorate(li, t);
    const btn = (label: string, run: () => void, cls = "subtle") => {
      const b = h("button", { type: "button", class: cls, text: label });
      on(b, "click", run);
      actions.append(b);
      return b;
    };
    if (t.role === "owner") {
      btn("Rename", () => {
        const input = h("input", { value: t.title, "aria-label": "New title", maxlength: 200 });
        const f = h("form", { class: "rename" }, input, h("button", { type: "submit", class: "primary", text: "Save" }));
        on(f, "submit", async (e) => {
          e.preventDefault();
          try {
            await api.updateTree(t.id, { title: input.value.trim() });
            void load();
          } catch (x) {
            toast((x as Error).message, { kind: "error" });
          }
        });
        link.replaceWith(f);
        input.focus();
        input.select();
      });
    }
    btn("Members", () => {
      panel.hidden = !panel.hidden;
      if (!panel.hidden) void membersPanel(t, panel, me, load);
    });
    if (t.role === "owner")
      btn(
        "Delete",
        async () => {
          if (!confirm(`Delete “${t.title}” for everyone? This cannot be undone.`)) return;
          try {
            await api.deleteTree(t.id);
            void load();
          } catch (x) {
            toast((x as Error).message, { kind: "error" });
          }
        },
        "subtle danger",
      );
    else
      btn("Leave", async () => {
        if (!confirm(`Leave “${t.title}”?`)) return;
        try {
          await api.leaveTree(t.id);
          void load();
        } catch (x) {
          toast((x as Error).message, { kind: "error" });
        }
      });
    return li;
  };

  void load();
  return h(
    "div",
    { class: "listpage" },
    h("header", { class: "topbar" }, h("h1", { class: "brand", text: "Gametree" }), h("span", { class: "spacer" }), workshopsLink(navigate), h("span", { class: "me", title: me.username, text: personName(me) }), out),
    h(
      "main",
      { class: "container" },
      h("section", { class: "card" }, h("h2", { text: "New tree" }), create),
      tools.bar,
      shortcuts.el,
      h("section", {}, h("h2", { text: "My trees" }), mine),
      h("section", {}, h("h2", { text: "Shared with me" }), shared),
    ),
  );
}

function workshopsLink(navigate: (p: string) => void): HTMLElement {
  const a = h("a", { href: "/app/workshops", class: "nav-link", text: "Workshops" });
  on(a, "click", (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate("/app/workshops");
  });
  return a;
}

async function membersPanel(t: TreeSummary, panel: HTMLElement, me: User, reload: () => Promise<void>): Promise<void> {
  let list: Member[];
  try {
    list = await api.members(t.id);
  } catch (x) {
    panel.replaceChildren(h("p", { class: "error", text: (x as Error).message }));
    return;
  }
  const owner = t.role === "owner";
  const rows = list.map((m) => {
    const li = h("li", {}, h("span", { class: "who", text: personLabel(m.user) + (m.user.id === me.id ? " (you)" : "") }));
    if (owner && m.role !== "owner") {
      const sel = h("select", { "aria-label": `Role of ${personName(m.user)}` }, h("option", { value: "editor", text: "editor" }), h("option", { value: "viewer", text: "viewer" }));
      sel.value = m.role;
      on(sel, "change", async () => {
        try {
          await api.setRole(t.id, m.user.id, sel.value);
        } catch (x) {
          toast((x as Error).message, { kind: "error" });
        }
      });
      const rm = h("button", { type: "button", class: "link", text: "remove" });
      on(rm, "click", async () => {
        try {
          await api.removeMember(t.id, m.user.id);
          void membersPanel(t, panel, me, reload);
        } catch (x) {
          toast((x as Error).message, { kind: "error" });
        }
      });
      li.append(sel, rm);
    } else li.append(h("span", { class: "role", text: m.role }));
    return li;
  });
  const children: Node[] = [h("ul", { class: "plain" }, ...rows)];
  if (owner) {
    const user = h("input", { placeholder: "Username", "aria-label": "Username to invite", required: true });
    const role = h("select", { "aria-label": "Role" }, h("option", { value: "editor", text: "editor" }), h("option", { value: "viewer", text: "viewer" }));
    const f = h("form", { class: "invite" }, user, role, h("button", { type: "submit", class: "primary", text: "Invite" }));
    on(f, "submit", async (e) => {
      e.preventDefault();
      try {
        await api.addMember(t.id, user.value.trim(), role.value);
        toast(`${user.value.trim()} can now ${role.value === "viewer" ? "view" : "edit"} this tree.`);
        void membersPanel(t, panel, me, reload);
      } catch (x) {
        toast((x as Error).message, { kind: "error" });
      }
    });
    children.push(f, shareLinksPanel(t.id, t.title));
  }
  panel.replaceChildren(...children);
}
