/**
 * The ways in that need no administrator: the join page (/join/<token> from the link, or /join
 * to type the code read aloud), a facilitator's one-time sign-in link (/access/<key>) and a
 * tree's share link (/share/<token>: signed in it opens; signed out one enters as a guest).
 */
import { ApiError } from "../../api";
import type { User } from "../../core/types";
import { givenName, personLabel } from "../../core/people";
import { h, on } from "../dom";
import "./workshop.css";
import { shareApi, workshopApi } from "./wsapi";

/** A message for a refused join that says what to do next. */
export function joinErrorText(x: unknown, byCode: boolean): string {
  if (!(x instanceof ApiError)) return (x as Error).message;
  switch (x.code) {
    case "not_found":
      return byCode
        ? "No workshop has this code. Check the letters with your facilitator."
        : "This join link does not work (it may be mistyped). Ask your facilitator for the code.";
    case "workshop_closed":
      return "This workshop no longer takes new participants. Ask your facilitator to reopen it.";
    case "name_taken":
      return "Someone in this workshop already uses this name: pick another one.";
    case "rate_limited":
      return "Too many tries from this network: wait a minute and try again.";
    default:
      return x.message;
  }
}

export function joinPage(
  token: string | null,
  me: User | null,
  done: (workshopId: number, user: User) => void,
): HTMLElement {
  const codeInput = h("input", {
    id: "join-code",
    name: "code",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    maxlength: 16,
    required: true,
    class: "code-input",
    "aria-describedby": "join-code-help",
  });
  const nameInput = h("input", {
    id: "join-name",
    name: "display_name",
    autocomplete: "nickname",
    maxlength: 60,
    required: true,
  });
  // Signed in: the name one's trees show, so that the workshop board shows the same one.
  if (me) nameInput.value = givenName(me).slice(0, 60);
  const err = h("p", { class: "error", role: "alert", id: "join-error" });
  const submit = h("button", { type: "submit", class: "primary wide", text: "Join" });
  const form = h(
    "form",
    { class: "card login join-form" },
    h("h1", { text: "Join a workshop" }),
    token
      ? h("p", { class: "muted", text: "You were sent a link to a workshop. Pick the name the others will see." })
      : h(
          "label",
          { class: "field" },
          h("span", { text: "Workshop code" }),
          codeInput,
          h("small", { id: "join-code-help", class: "muted", text: "The six letters your facilitator reads out or shows." }),
        ),
    h("label", { class: "field" }, h("span", { text: "Your name" }), nameInput),
    me ? h("p", { class: "muted small", text: `You are signed in as ${personLabel(me)}: you join as yourself.` }) : null,
    err,
    submit,
    h(
      "p",
      { class: "muted small" },
      "No account, no email needed. ",
      h("a", { href: "/", text: "Sign in with a password" }),
      " if you set one before.",
    ),
  );
  on(form, "submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    const name = nameInput.value.trim();
    const code = codeInput.value.trim();
    if (!name || (!token && !code)) {
      err.textContent = !token && !code ? "Type the workshop's code." : "Pick a name.";
      return;
    }
    submit.disabled = true;
    try {
      const r = await workshopApi.join(token ? { token } : { code }, name);
      done(r.workshop.id, r.user);
    } catch (x) {
      err.textContent = joinErrorText(x, !token);
      (x instanceof ApiError && x.code === "name_taken" ? nameInput : token ? nameInput : codeInput).focus();
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => (token ? nameInput : codeInput).focus());
  return h("main", { class: "center join-page" }, form);
}

/** A facilitator's one-time sign-in link: sign in with it, once. */
export function accessPage(key: string, done: (user: User) => void): HTMLElement {
  const msg = h("p", { role: "status", text: "Signing you in…" });
  const box = h("div", { class: "card login" }, h("h1", { text: "Welcome back" }), msg);
  void (async () => {
    try {
      done(await workshopApi.redeemAccess(key));
    } catch (x) {
      const code = x instanceof ApiError ? x.code : "";
      msg.className = "error";
      msg.setAttribute("role", "alert");
      msg.textContent =
        code === "link_expired"
          ? "This sign-in link has expired. Ask your facilitator for a new one."
          : code === "link_invalid" || code === "not_found"
            ? "This sign-in link was already used or replaced. Ask your facilitator for a new one."
            : (x as Error).message;
      box.append(h("p", {}, h("a", { href: "/", text: "Go to the sign-in page" })));
    }
  })();
  return h("main", { class: "center" }, box);
}

/** Why a share link did not open, and what to do. */
function shareErrorText(x: unknown): string {
  const code = x instanceof ApiError ? x.code : "";
  switch (code) {
    case "link_revoked":
      return "This share link was revoked. Ask the tree's owner for a new one.";
    case "link_expired":
      return "This share link has expired. Ask the tree's owner for a new one.";
    case "not_found":
      return "This share link does not exist (it may be mistyped).";
    case "name_taken":
      return "Someone in this tree already uses this name: pick another one.";
    case "signup_closed":
      return "Here only people with an account open shared trees: sign in first.";
    case "rate_limited":
      return "Too many tries from this network: wait a minute and try again.";
    default:
      return (x as Error).message;
  }
}

/**
 * A tree's share link opened signed out: type a name and enter the tree as a guest (an account
 * without a password, like a workshop seat's; this browser stays signed in to it), or sign in.
 */
export function guestSharePage(
  token: string,
  done: (tree: number, user: User) => void,
  signIn: () => void,
): HTMLElement {
  const nameInput = h("input", {
    id: "share-name",
    name: "display_name",
    autocomplete: "nickname",
    maxlength: 60,
    required: true,
  });
  const err = h("p", { class: "error", role: "alert", id: "share-error" });
  const submit = h("button", { type: "submit", class: "primary wide", text: "Open the tree" });
  const signInButton = h("button", { type: "button", class: "link", id: "share-sign-in", text: "Sign in" });
  on(signInButton, "click", signIn);
  const form = h(
    "form",
    { class: "card login join-form" },
    h("h1", { text: "Shared tree" }),
    h("p", { class: "muted", text: "Someone shared a tree with you. Pick the name the others will see." }),
    h("label", { class: "field" }, h("span", { text: "Your name" }), nameInput),
    err,
    submit,
    h("p", { class: "muted small" }, "No account, no email needed. Have an account? ", signInButton, " instead."),
  );
  on(form, "submit", async (e) => {
    e.preventDefault();
    err.textContent = "";
    const name = nameInput.value.trim();
    if (!name) {
      err.textContent = "Pick a name.";
      return;
    }
    submit.disabled = true;
    try {
      const r = await shareApi.enter(token, name);
      done(r.tree, r.user);
    } catch (x) {
      err.textContent = shareErrorText(x);
      nameInput.focus();
    } finally {
      submit.disabled = false;
    }
  });
  queueMicrotask(() => nameInput.focus());
  return h("main", { class: "center join-page" }, form);
}

/** A tree's share link, opened by someone signed in: become a member, then open the tree. */
export function sharePage(token: string, done: (tree: number) => void): HTMLElement {
  const msg = h("p", { role: "status", text: "Opening the shared tree…" });
  const box = h("div", { class: "card login" }, h("h1", { text: "Shared tree" }), msg);
  void (async () => {
    try {
      done((await shareApi.redeem(token)).tree);
    } catch (x) {
      msg.className = "error";
      msg.setAttribute("role", "alert");
      msg.textContent = shareErrorText(x);
      box.append(h("p", {}, h("a", { href: "/", text: "Go to my trees" })));
    }
  })();
  return h("main", { class: "center" }, box);
}
