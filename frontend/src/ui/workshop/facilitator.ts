/**
 * The facilitator's workshop page: the join code (large, to read aloud) and link, open/close to
 * joins, who is in (reset access, remove), and, built on those, groups, exercises and rounds.
 */
import type { User } from "../../core/types";
import { h, on } from "../dom";
import { openModal } from "../modal";
import { ExercisesPanel } from "./exercises";
import { GroupsPanel } from "./groups";
import { ParticipantList } from "./participants";
import { kindLabel, roundLabel, runningRound } from "./state";
import { appLink, linkField, showError, type Navigate } from "./util";
import { joinUrl, spacedCode, workshopApi, type Home, type Workshop } from "./wsapi";

export class FacilitatorView {
  readonly el: HTMLElement;
  readonly people: ParticipantList;
  readonly groups: GroupsPanel;
  readonly exercises: ExercisesPanel;
  private now: HTMLElement;
  private status: HTMLElement;
  private toggle: HTMLButtonElement;
  /** Sections added below the join card by later parts (groups, exercises, rounds). */
  readonly main: HTMLElement;

  constructor(
    private w: Workshop,
    me: User,
    private readonly navigate: Navigate,
    reload: () => void,
  ) {
    this.people = new ParticipantList(w.id, me.id);
    this.people.onChange = reload;
    this.groups = new GroupsPanel(w.id, reload);
    this.exercises = new ExercisesPanel(w.id, navigate, reload);
    this.people.decorate = (p, slot) => {
      const sel = this.groups.groupSelect(p);
      if (sel) slot.append(sel);
    };
    this.status = h("span", { class: "ws-status" });
    this.toggle = h("button", { type: "button", class: "subtle" });
    on(this.toggle, "click", () => void this.setOpen(!this.w.open));
    this.now = h("div", { class: "ws-now", "aria-live": "polite" });
    const board = appLink(`/app/workshops/${w.id}/board`, "Open the live board", navigate, { class: "board-link" });
    this.main = h(
      "div",
      { class: "ws-main ws-facilitator" },
      h("div", { class: "ws-bar" }, this.now, board),
      this.joinCard(),
      this.groups.el,
      this.exercises.el,
      this.people.el,
    );
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
        h("p", { class: "join-url", text: url }),
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

  /** Everything the page shows, re-read (on arrival and after each live event). */
  update(home: Home): void {
    this.w = home.workshop;
    this.paintOpen();
    this.groups.update(home);
    this.people.set(home.participants);
    this.exercises.update(home);
    const run = runningRound(home.exercises);
    this.now.replaceChildren(
      ...(run
        ? [
            h("strong", { text: `Now: ${run.exercise.title}` }),
            ` · ${kindLabel(run.exercise)} · ${roundLabel(run.exercise, run.round)} · `,
            h("span", { class: "countdown", role: "timer", "data-ends-at": run.round.ends_at ?? "" }),
          ]
        : [h("span", { class: "muted", text: "No round is running." })]),
    );
  }

  destroy(): void {
    void this.navigate;
  }
}
