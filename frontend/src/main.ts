/**
 * Entry point: a tiny router over / (tree list or sign-in), /app/trees/<id>, the workshop pages
 * (/app/workshops, /app/workshops/<id>, its board /app/workshops/<id>/board and the board's
 * projector view /app/workshops/<id>/projector#key=..., which needs no sign-in) and the ways in: /join[/<token>], /access/<key>,
 * /share/<token>.
 */
import "./style.css";
import { api } from "./api";
import type { User } from "./core/types";
import { h, toast } from "./ui/dom";
import { listPage, loginPage } from "./ui/listpage";
import { TreePage } from "./ui/treepage";
import { outboxFor, sendOrphans } from "./ui/leave";
import { accessPage, guestSharePage, joinPage, sharePage } from "./ui/workshop/join";
import { workshopListPage } from "./ui/workshop/list";
import { WorkshopPage } from "./ui/workshop/page";
import { workshopApi } from "./ui/workshop/wsapi";
import { BoardPage } from "./ui/workshop/board";

const app = document.getElementById("app")!;
let me: User | null = null;
let page: TreePage | null = null;
/** The open non-tree page that holds timers or sockets (a workshop page). */
let other: { destroy(): void } | null = null;

declare global {
  interface Window {
    gametree?: { page: TreePage | null };
  }
}

function navigate(path: string, replace = false): void {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  // A new page opens at its top, not at the scroll offset of the one left (a merge started
  // low on a long tree list opened its review queue half-way down, the header out of view).
  window.scrollTo(0, 0);
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
  other?.destroy();
  other = null;
  window.gametree = { page: null };
  delete document.body.dataset.treeReady;
  delete document.body.dataset.listReady;
  if (!me) {
    try {
      me = (await api.session()).user;
    } catch {
      me = null;
    }
  }
  const path = location.pathname;
  // Joining and one-time sign-in links work signed out (they sign the visitor in).
  const join = path.match(/^\/join(?:\/([^/]+))?\/?$/);
  if (join) {
    document.title = "Join a workshop · Gametree";
    app.replaceChildren(
      joinPage(join[1] ? decodeURIComponent(join[1]) : null, me, (id, u) => {
        me = u;
        navigate(`/app/workshops/${id}`, true);
      }),
    );
    return;
  }
  const access = path.match(/^\/access\/([^/]+)\/?$/);
  if (access) {
    document.title = "Sign in · Gametree";
    app.replaceChildren(
      accessPage(decodeURIComponent(access[1]), (u) => {
        me = u;
        void workshopApi.list().then(
          (ws) => navigate(ws.length === 1 ? `/app/workshops/${ws[0].id}` : "/app/workshops", true),
          () => navigate("/app/workshops", true),
        );
      }),
    );
    return;
  }
  // The board's projector link: read-only, no sign-in; its key stays after "#".
  const projector = path.match(/^\/app\/workshops\/(\d+)\/projector\/?$/);
  if (projector) {
    const key = new URLSearchParams(location.hash.slice(1)).get("key") ?? "";
    const bp = new BoardPage(Number(projector[1]), { me, key, navigate, signOut: () => void signOut() });
    other = bp;
    document.title = "Board · Gametree";
    app.replaceChildren(bp.el);
    bp.start();
    return;
  }
  const share = path.match(/^\/share\/([^/]+)\/?$/);
  if (!me) {
    const signIn = (why?: string): void => {
      document.title = "Sign in · Gametree";
      app.replaceChildren(
        loginPage((u) => {
          me = u;
          void route();
        }, why),
      );
    };
    if (share) {
      // A share link opened signed out: enter as a guest under a name, or sign in (the tree
      // opens after either).
      document.title = "Shared tree · Gametree";
      app.replaceChildren(
        guestSharePage(
          decodeURIComponent(share[1]),
          (tree, u) => {
            me = u;
            navigate(`/app/trees/${tree}`, true);
          },
          () => signIn("Someone shared a tree with you: sign in and it opens."),
        ),
      );
      return;
    }
    signIn();
    return;
  }
  if (share) {
    document.title = "Shared tree · Gametree";
    app.replaceChildren(sharePage(decodeURIComponent(share[1]), (tree) => navigate(`/app/trees/${tree}`, true)));
    return;
  }
  if (/^\/app\/workshops\/?$/.test(path)) {
    document.title = "Workshops · Gametree";
    app.replaceChildren(workshopListPage(me, navigate, () => void signOut()));
    sendLeftEdits();
    return;
  }
  const board = path.match(/^\/app\/workshops\/(\d+)\/board\/?$/);
  if (board) {
    const bp = new BoardPage(Number(board[1]), { me, key: null, navigate, signOut: () => void signOut() });
    other = bp;
    document.title = "Board · Gametree";
    app.replaceChildren(bp.el);
    bp.start();
    sendLeftEdits();
    return;
  }
  const ws = path.match(/^\/app\/workshops\/(\d+)\/?$/);
  if (ws) {
    const wp = new WorkshopPage(Number(ws[1]), me, navigate, () => void signOut());
    other = wp;
    app.replaceChildren(wp.el);
    void wp.start();
    sendLeftEdits();
    return;
  }
  const m = path.match(/^\/app\/trees\/(\d+)\/?$/);
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
