/**
 * The workshop's live socket (ws/workshops/<id>/): groups, rounds, merges, exercises, trees and
 * participants events. Reconnects with backoff; pings for the server's clock (the timer counts
 * down from the server's ends_at); stops for good when the seat is gone (4403) or signed out (4401).
 */
import { reconnectDelay } from "../../connection";
import { clockOffset } from "./state";

export interface WorkshopEvent {
  type: string;
  server_time?: string;
  [k: string]: unknown;
}

export class WorkshopSocket {
  private ws: WebSocket | null = null;
  private retry = 0;
  private timer: number | null = null;
  private pinger: number | null = null;
  private stopped = false;
  private sentPing = 0;
  /** Server clock minus local clock, in ms. */
  offset = 0;

  constructor(
    private readonly workshopId: number,
    private readonly onEvent: (e: WorkshopEvent) => void,
    private readonly onState: (s: "online" | "offline" | "closed", code?: number) => void,
  ) {}

  start(): void {
    this.open();
    this.pinger = window.setInterval(() => {
      if (this.ws?.readyState === WebSocket.OPEN) {
        this.sentPing = Date.now();
        this.ws.send(JSON.stringify({ type: "ping" }));
      }
    }, 15000);
    window.addEventListener("online", this.kick);
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.kick);
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.pinger !== null) clearInterval(this.pinger);
    this.ws?.close(1000);
    this.ws = null;
  }

  private kick = (): void => {
    if (this.stopped || this.ws) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.retry = 0;
    this.open();
  };

  private open(): void {
    if (this.stopped) return;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${proto}//${location.host}/ws/workshops/${this.workshopId}/`);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.onState("online");
    };
    ws.onmessage = (ev) => {
      let msg: WorkshopEvent;
      try {
        msg = JSON.parse(ev.data as string) as WorkshopEvent;
      } catch {
        return;
      }
      if (typeof msg.server_time === "string") {
        // A pong's time is best taken half way through the round trip; others as they come.
        const at = msg.type === "pong" && this.sentPing ? (this.sentPing + Date.now()) / 2 : Date.now();
        this.offset = clockOffset(msg.server_time, at);
      }
      if (msg.type === "pong") return;
      this.onEvent(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (ev.code === 4403 || ev.code === 4401 || ev.code === 4404) {
        this.stopped = true;
        this.onState("closed", ev.code);
        return;
      }
      this.onState("offline", ev.code);
      if (this.stopped || this.timer !== null) return;
      const delay = reconnectDelay(this.retry);
      this.retry++;
      this.timer = window.setTimeout(() => {
        this.timer = null;
        this.open();
      }, delay);
    };
  }
}
