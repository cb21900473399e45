/**
 * A participant's workshop home (phone first): who I am here, my group and its members, my
 * tree(s) for the current exercise, the round's timer and the blind-round banner; and a way to
 * set a password to come back later.
 */
import type { User } from "../../core/types";
import { h, on, toast } from "../dom";
import { workshopApi, type Workshop } from "./wsapi";

export class ParticipantView {
  readonly el: HTMLElement;
  /** Sections filled by the live part (group, trees, timer). */
  readonly main: HTMLElement;

  constructor(
    readonly w: Workshop,
    readonly me: User,
  ) {
    this.main = h("div", { class: "ws-home" });
    this.el = h("div", { class: "ws-main" }, this.main, passwordCard(me));
  }

  destroy(): void {}
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
