/** /app/workshops/<id>: the facilitator's workshop page or a participant's home, by my role. */
import type { User } from "../../core/types";
import { h } from "../dom";
import { FacilitatorView } from "./facilitator";
import { ParticipantView } from "./participant";
import "./workshop.css";
import { appLink, topbar, type Navigate } from "./util";
import { workshopApi, type Workshop } from "./wsapi";

export class WorkshopPage {
  readonly el: HTMLElement;
  private view: FacilitatorView | ParticipantView | null = null;
  private body: HTMLElement;
  private poll: number | null = null;
  private destroyed = false;

  constructor(
    private readonly id: number,
    private readonly me: User,
    private readonly navigate: Navigate,
    signOut: () => void,
  ) {
    this.body = h("main", { class: "container ws-page" }, h("p", { class: "muted", text: "Loading…" }));
    this.el = h(
      "div",
      { class: "listpage workshop-page" },
      topbar(me, navigate, signOut, appLink("/app/workshops", "Workshops", navigate, { class: "nav-link" })),
      this.body,
    );
  }

  async start(): Promise<void> {
    let w: Workshop;
    try {
      w = await workshopApi.get(this.id);
    } catch (x) {
      this.body.replaceChildren(h("p", { class: "error", role: "alert", text: (x as Error).message }));
      return;
    }
    if (this.destroyed) return;
    document.title = `${w.title} · Gametree`;
    const head = h(
      "div",
      { class: "ws-head" },
      h("h1", { id: "ws-title", text: w.title }),
      h("p", { class: "muted", text: w.role === "facilitator" ? "You facilitate this workshop." : `You are ${w.display_name}.` }),
    );
    if (w.role === "facilitator") {
      const v = new FacilitatorView(w, this.me, this.navigate);
      this.view = v;
      this.body.replaceChildren(head, v.el);
      await v.people.load();
      // Joins are not pushed yet: look again every few seconds while the page is open.
      this.poll = window.setInterval(() => {
        if (document.visibilityState === "visible") void v.people.load();
      }, 3000);
    } else {
      const v = new ParticipantView(w, this.me);
      this.view = v;
      this.body.replaceChildren(head, v.el);
    }
    document.body.dataset.workshopReady = "1";
  }

  destroy(): void {
    this.destroyed = true;
    if (this.poll !== null) clearInterval(this.poll);
    this.view?.destroy();
    delete document.body.dataset.workshopReady;
  }
}
