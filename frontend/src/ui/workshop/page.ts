/**
 * /app/workshops/<id>: the facilitator's workshop page or a participant's home, by my role.
 * Reads everything from GET /api/workshops/<id>/home/ and reads it again on each live event of
 * ws/workshops/<id>/; the round timers count down from the server's ends_at, corrected for the
 * difference between the server's clock and this device's.
 */
import { ApiError } from "../../api";
import type { User } from "../../core/types";
import { h, toast } from "../dom";
import { FacilitatorView } from "./facilitator";
import { ParticipantView } from "./participant";
import { WorkshopSocket, type WorkshopEvent } from "./socket";
import { clockOffset, remainingMs } from "./state";
import "./workshop.css";
import { appLink, clock, topbar, type Navigate } from "./util";
import { roundsApi, workshopApi, type Home, type Workshop } from "./wsapi";

export class WorkshopPage {
  readonly el: HTMLElement;
  private view: FacilitatorView | ParticipantView | null = null;
  private body: HTMLElement;
  private banner: HTMLElement;
  private socket: WorkshopSocket | null = null;
  private ticker: number | null = null;
  private poll: number | null = null;
  private destroyed = false;
  private offset = 0;
  private loading: Promise<void> | null = null;
  private again = false;
  private announcedUp = new Set<string>();

  constructor(
    private readonly id: number,
    private readonly me: User,
    private readonly navigate: Navigate,
    signOut: () => void,
  ) {
    this.body = h("main", { class: "container ws-page" }, h("p", { class: "muted", text: "Loading…" }));
    this.banner = h("div", { class: "banner offline", role: "status", hidden: true });
    this.el = h(
      "div",
      { class: "listpage workshop-page" },
      topbar(me, navigate, signOut, appLink("/app/workshops", "Workshops", navigate, { class: "nav-link" })),
      this.banner,
      this.body,
    );
  }

  async start(): Promise<void> {
    let home: Home | null;
    let w: Workshop;
    try {
      home = await this.fetchHome();
      w = home ? home.workshop : await workshopApi.get(this.id);
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
    const reload = () => void this.refresh();
    if (w.role === "facilitator") {
      const v = new FacilitatorView(w, this.me, this.navigate, reload);
      this.view = v;
      this.body.replaceChildren(head, v.el);
      if (home) v.update(home);
      else {
        // A server without groups and rounds yet: the people list, looked at every few seconds.
        await v.people.load();
        this.poll = window.setInterval(() => {
          if (document.visibilityState === "visible") void v.people.load();
        }, 3000);
      }
    } else {
      const v = new ParticipantView(w, this.me, this.navigate);
      this.view = v;
      this.body.replaceChildren(head, v.el);
      if (home) v.update(home);
    }
    if (home) {
      this.socket = new WorkshopSocket(this.id, (e) => this.onEvent(e), (s, code) => this.onSocket(s, code));
      this.socket.start();
    }
    this.ticker = window.setInterval(() => this.tick(), 500);
    this.tick();
    document.body.dataset.workshopReady = "1";
  }

  /** GET home/, or null when this server has no such endpoint (an older server). */
  private async fetchHome(): Promise<Home | null> {
    const sent = Date.now();
    try {
      const home = await roundsApi.home(this.id);
      this.offset = clockOffset(home.server_time, (sent + Date.now()) / 2);
      return home;
    } catch (x) {
      if (x instanceof ApiError && x.status === 404) {
        await workshopApi.get(this.id); // not in it: that error is the one to show
        return null;
      }
      throw x;
    }
  }

  /** Read home/ again; events arriving meanwhile cause one more read, not one each. */
  async refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = (async () => {
      do {
        this.again = false;
        try {
          const home = await this.fetchHome();
          if (home && !this.destroyed) this.view?.update(home);
        } catch (x) {
          if (x instanceof ApiError && (x.status === 404 || x.status === 401 || x.status === 403)) this.gone();
          else toast((x as Error).message, { kind: "error" });
          this.again = false;
        }
      } while (this.again && !this.destroyed);
    })();
    try {
      await this.loading;
    } finally {
      this.loading = null;
    }
    this.tick();
  }

  private onEvent(e: WorkshopEvent): void {
    if (this.socket) this.offset = this.socket.offset;
    if (e.type === "welcome") return;
    if (e.type === "round" && e.event === "ended" && this.view instanceof ParticipantView)
      toast("The round has ended.", { kind: "info" });
    if (e.type === "round" && e.event === "started" && this.view instanceof ParticipantView)
      toast("A new round has started.", { kind: "info" });
    void this.refresh();
  }

  private onSocket(s: "online" | "offline" | "closed", code?: number): void {
    if (s === "online") {
      this.banner.hidden = true;
      // events may have been missed while away; once read, the page is live (a test waits for
      // it: the read may draw the groups anew, replacing what was on screen)
      void this.refresh().then(() => {
        if (!this.destroyed) document.body.dataset.workshopLive = "1";
      });
    } else if (s === "offline") {
      delete document.body.dataset.workshopLive;
      this.banner.hidden = false;
      this.banner.className = "banner offline";
      this.banner.textContent = "Reconnecting… the timer keeps counting; changes show when the connection is back.";
    } else {
      void code;
      delete document.body.dataset.workshopLive;
      this.gone();
    }
  }

  private gone(): void {
    this.banner.hidden = false;
    this.banner.className = "banner error";
    this.banner.textContent = "You are no longer in this workshop.";
    this.socket?.stop();
  }

  /** Every countdown on the page, from the server's ends_at and the clock offset. */
  private tick(): void {
    const now = Date.now();
    for (const el of this.el.querySelectorAll<HTMLElement>(".countdown[data-ends-at]")) {
      const at = el.dataset.endsAt;
      if (!at) {
        el.textContent = "";
        continue;
      }
      const left = remainingMs(at, this.offset, now);
      const up = left <= 0;
      const text = up ? "Time is up" : `${clock(left)} left`;
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("up", up);
      if (up && el.id === "my-timer" && !this.announcedUp.has(at)) {
        this.announcedUp.add(at);
        toast("Time is up: finish your sentence; the facilitator ends the round.", { kind: "warn" });
      }
    }
  }

  destroy(): void {
    this.destroyed = true;
    if (this.poll !== null) clearInterval(this.poll);
    if (this.ticker !== null) clearInterval(this.ticker);
    this.socket?.stop();
    this.view?.destroy();
    delete document.body.dataset.workshopReady;
    delete document.body.dataset.workshopLive;
  }
}
