/** Entry point: a tiny router over / (tree list or sign-in) and /app/trees/<id>. */
import "./style.css";
import { api } from "./api";
import type { User } from "./core/types";
import { h, toast } from "./ui/dom";
import { listPage, loginPage } from "./ui/listpage";
import { TreePage } from "./ui/treepage";
import { outboxFor, sendOrphans } from "./ui/leave";

const app = document.getElementById("app")!;
let me: User | null = null;
let page: TreePage | null = null;

declare global {
  interface Window {
    gametree?: { page: TreePage | null };
  }
}

function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  void route();
}

async function signOut(): Promise<void> {
  try {
    await api.logout();
  } catch (x) {
    toast((x as Error).message, { kind: "error" });
  }
  me = null;
  navigate("/");
}

/** Edits an earlier page left unsent (core/outbox.ts) go to the server from whatever page is open. */
function sendLeftEdits(): void {
  if (me) void sendOrphans(outboxFor(me.id));
}

async function route(): Promise<void> {
  page?.destroy();
  page = null;
  window.gametree = { page: null };
  delete document.body.dataset.treeReady;
  if (!me) {
    try {
      me = await api.me();
    } catch {
      me = null;
    }
  }
  if (!me) {
    document.title = "Sign in · Gametree";
    app.replaceChildren(
      loginPage((u) => {
        me = u;
        void route();
      }),
    );
    return;
  }
  const m = location.pathname.match(/^\/app\/trees\/(\d+)\/?$/);
  if (m) {
    page = new TreePage(Number(m[1]), { me, navigate, signOut: () => void signOut() });
    window.gametree = { page };
    app.replaceChildren(page.el);
    page.start();
    sendLeftEdits(); // after the page has adopted this tree's own
    return;
  }
  document.title = "Trees · Gametree";
  if (location.pathname !== "/" && !location.pathname.startsWith("/app")) history.replaceState(null, "", "/");
  app.replaceChildren(listPage(me, navigate, () => void signOut()));
  sendLeftEdits();
}

// Back/Forward within one tree's zooms stays on its page (TreePage.handlePopState).
window.addEventListener("popstate", (e) => {
  if (page?.handlePopState(e.state)) return;
  void route();
});
window.addEventListener("online", sendLeftEdits);
app.replaceChildren(h("p", { class: "muted center", text: "Loading…" }));
void route();
