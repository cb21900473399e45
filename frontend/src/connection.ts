/**
 * The websocket of one tree: connects, reconnects with backoff, pings to notice dead links,
 * and hands messages to the sync engine. Goes offline at once on the browser's `offline` event.
 */
import type { SyncEngine } from "./core/sync";
import type { ClientMessage, ServerMessage } from "./core/types";

export type ConnState = "connecting" | "online" | "offline" | "closed";

export class Connection {
  private ws: WebSocket | null = null;
  private retry = 0;
  private timer: number | null = null;
  private ticker: number | null = null;
  private lastHeard = 0;
  private stopped = false;
  state: ConnState = "connecting";
  /** Set by the engine owner: the engine to feed. */
  engine: SyncEngine | null = null;
  /** Messages that are not the sync engine's, e.g. `review` (docs/analysis.md). */
  onOther: ((msg: { type: string } & Record<string, unknown>) => void) | null = null;

  constructor(
    private readonly url: string,
    private readonly onState: (s: ConnState, closeCode?: number) => void,
  ) {
    window.addEventListener("offline", this.goOffline);
    window.addEventListener("online", this.goOnline);
  }

  start(): void {
    this.open();
    this.ticker = window.setInterval(() => this.tick(), 1000);
  }

  stop(): void {
    this.stopped = true;
    window.removeEventListener("offline", this.goOffline);
    window.removeEventListener("online", this.goOnline);
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ws?.close(1000);
    this.ws = null;
  }

  send = (msg: ClientMessage): boolean => {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  };

  private setState(s: ConnState, code?: number): void {
    this.state = s;
    this.onState(s, code);
  }

  private open(): void {
    if (this.stopped) return;
    if (!navigator.onLine) {
      this.setState("offline");
      return;
    }
    this.setState(this.retry ? "offline" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.retry = 0;
      this.lastHeard = Date.now();
      this.setState("online");
      this.engine?.connectionOpened();
    };
    ws.onmessage = (ev) => {
      this.lastHeard = Date.now();
      let msg: ServerMessage;
      try {
        msg = JSON.parse(ev.data as string) as ServerMessage;
      } catch {
        return;
      }
      const type = (msg as { type?: unknown }).type;
      if (type === "review" || type === "tags") {
        this.onOther?.(msg as unknown as { type: string } & Record<string, unknown>);
        return;
      }
      this.engine?.receive(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.engine?.connectionClosed();
      if (ev.code === 4403 || ev.code === 4404) {
        this.stopped = true;
        this.setState("closed", ev.code);
        return;
      }
      this.setState("offline", ev.code);
      this.schedule();
    };
  }

  private schedule(): void {
    if (this.stopped || this.timer !== null) return;
    const delay = reconnectDelay(this.retry);
    this.retry++;
    this.timer = window.setTimeout(() => {
      this.timer = null;
      this.open();
    }, delay);
  }

  private tick(): void {
    this.engine?.tick();
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const quiet = Date.now() - this.lastHeard;
    if (quiet > 20000) {
      ws.close(4000); // a dead link: the close handler reconnects
      this.ws = null;
      this.engine?.connectionClosed();
      this.setState("offline");
      this.schedule();
    } else if (quiet > 10000) {
      this.send({ type: "ping" });
    }
  }

  private goOffline = (): void => {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onclose = null;
      ws.close(4000);
      this.engine?.connectionClosed();
    }
    this.setState("offline");
  };

  private goOnline = (): void => {
    if (this.stopped || this.ws) return;
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.retry = 0;
    this.open();
  };
}

/**
 * Milliseconds before reconnect attempt `retry` (0, 1, ...): doubling from 300 ms up to 10 s,
 * jittered by ±25% so that a room of clients does not reconnect in step after a restart.
 */
export function reconnectDelay(retry: number): number {
  return Math.min(10000, 300 * 2 ** retry) * (0.75 + Math.random() * 0.5);
}

export function treeSocketUrl(id: number): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}/ws/trees/${id}/`;
}
