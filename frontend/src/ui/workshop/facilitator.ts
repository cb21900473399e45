/**
 * The facilitator's workshop page: the join code (large, to read aloud) and link, open/close to
 * joins, who is in (reset access, remove), and, built on those, groups, exercises and rounds.
 */
import type { User } from "../../core/types";
import { h, on } from "../dom";
import { openModal } from "../modal";
import { ParticipantList } from "./participants";
import { linkField, showError, type Navigate } from "./util";
import { joinUrl, spacedCode, workshopApi, type Workshop } from "./wsapi";

export class FacilitatorView {
  readonly el: HTMLElement;
  readonly people: ParticipantList;
  private status: HTMLElement;
  private toggle: HTMLButtonElement;
  /** Sections added below the join card by later parts (groups, exercises, rounds). */
  readonly main: HTMLElement;

  constructor(
    private w: Workshop,
    me: User,
    private readonly navigate: Navigate,
  ) {
    this.people = new ParticipantList(w.id, me.id);
    this.status = h("span", { class: "ws-status" });
    this.toggle = h("button", { type: "button", class: "subtle" });
    on(this.toggle, "click", () => void this.setOpen(!this.w.open));
    this.main = h("div", { class: "ws-main" }, this.joinCard(), this.people.el);
    this.el = this.main;
    this.paintOpen();
  }

  private joinCard(): HTMLElement {
    const code = this.w.code ?? "";
    const url = joinUrl(this.w.join_token ?? "");
    const link = linkField(url, "Join link", "join-link");
    const show = h("button", { type: "button", class: "subtle", text: "Show to the room", "aria-haspopup": "dialog" });
    on(show, "click", () => {
      const m = openModal("Join the workshop", "projector-dialog", "Close");
      m.body.append(
        h("p", { class: "big-where", text: `${location.host}/join` }),
        h("p", { class: "join-code huge", text: spacedCode(code), "aria-label": `Code: ${code.split("").join(" ")}` }),
        h("p", { class: "muted", text: url }),
      );
    });
    return h(
      "section",
      { class: "card join-card", "aria-label": "How to join" },
      h("h2", { text: "Join" }),
      h(
        "div",
        { class: "join-grid" },
        h(
          "div",
          {},
          h("p", { class: "muted small", text: `Go to ${location.host}/join and type the code` }),
          h("p", { class: "join-code", id: "join-code-shown", "aria-label": `Code: ${code.split("").join(" ")}`, text: spacedCode(code) }),
        ),
        h("div", { class: "join-link-box" }, h("p", { class: "muted small", text: "or open the link" }), link.el),
      ),
      h("div", { class: "join-actions" }, this.status, this.toggle, show),
    );
  }

  private paintOpen(): void {
    this.status.textContent = this.w.open ? "Open: people can join." : "Closed to new joins.";
    this.status.className = `ws-status ${this.w.open ? "s-open" : "s-closed"}`;
    this.toggle.textContent = this.w.open ? "Close to new joins" : "Reopen to joins";
  }

  private async setOpen(open: boolean): Promise<void> {
    try {
      this.w = await workshopApi.update(this.w.id, { open });
      this.paintOpen();
    } catch (x) {
      showError(x);
    }
  }

  destroy(): void {
    void this.navigate;
  }
}
