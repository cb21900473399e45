/**
 * The tree page's workshop strip, for a tree of a workshop exercise: "‹ Workshop title · Round
 * N · 12:34 left". The countdown runs from the server's ends_at with the server clock's offset;
 * the workshop's socket says when rounds start, are extended or end (then home/ is read again).
 */
import type { TreeWorkshop } from "../api";
import { h } from "./dom";
import { WorkshopSocket } from "./workshop/socket";
import { clockOffset, stripParts } from "./workshop/state";
import { appLink, clock, type Navigate } from "./workshop/util";
import { roundsApi, type Exercise } from "./workshop/wsapi";

const REREAD = new Set(["round", "exercise", "trees", "welcome"]);

export class WorkshopStrip {
  readonly el: HTMLElement;
  private text: HTMLElement;
  private socket: WorkshopSocket | null = null;
  private ticker: number | null = null;
  private exercises: Exercise[] = [];
  private offset = 0;
  private link: TreeWorkshop | null = null;
  private stopped = false;

  constructor(private readonly navigate: Navigate) {
    this.text = h("span", { class: "ws-strip-round", role: "timer", "aria-live": "off" });
    this.el = h("nav", { class: "ws-strip", id: "workshop-strip", "aria-label": "Workshop", hidden: true });
  }

  /** Show the strip for the tree's workshop (none: it stays hidden). */
  show(link: TreeWorkshop | null): void {
    if (!link || this.stopped || this.link) return;
    this.link = link;
    this.el.replaceChildren(
      appLink(`/app/workshops/${link.id}`, `‹ ${link.title}`, this.navigate, { class: "ws-strip-back", id: "workshop-back" }),
      this.text,
    );
    this.el.hidden = false;
    void this.reload();
    this.socket = new WorkshopSocket(
      link.id,
      (e) => {
        if (REREAD.has(e.type)) void this.reload();
      },
      () => undefined,
    );
    this.socket.start();
    this.ticker = window.setInterval(() => this.render(), 1000);
  }

  private async reload(): Promise<void> {
    if (!this.link) return;
    const sent = Date.now();
    try {
      const home = await roundsApi.home(this.link.id);
      if (this.stopped) return;
      this.exercises = home.exercises;
      this.offset = clockOffset(home.server_time, (sent + Date.now()) / 2);
    } catch {
      return; // gone from the workshop: the strip keeps its link and says no round
    }
    this.render();
  }

  private render(): void {
    if (!this.link) return;
    if (this.socket?.offset) this.offset = this.socket.offset;
    const { parts, running } = stripParts(this.exercises, this.link.exercise, this.offset, Date.now(), clock);
    this.text.textContent = parts.length ? ` · ${parts.join(" · ")}` : "";
    this.el.classList.toggle("running", running);
  }

  destroy(): void {
    this.stopped = true;
    this.socket?.stop();
    if (this.ticker !== null) clearInterval(this.ticker);
  }
}
