/**
 * Nothing is lost on leave: the outbox of unsent edits (core/outbox.ts) in this browser's
 * localStorage, and the sending of orphaned outboxes (a tab that was reloaded, closed or
 * navigated away before the server acknowledged its edits) over REST.
 */
import { api, ApiError } from "../api";
import { type Locks, Outbox, type OutboxRecord } from "../core/outbox";
import { toast } from "./dom";
import { explain } from "./outliner";

let shared: Outbox | null = null;

/** Web Locks: held by a page until it lets go or is gone (only in secure contexts). */
const webLocks: Locks | null =
  typeof navigator !== "undefined" && navigator.locks
    ? {
        tryHold: (name) =>
          new Promise((resolve) => {
            navigator.locks
              .request(name, { ifAvailable: true }, (lock) => {
                if (!lock) {
                  resolve(null);
                  return;
                }
                return new Promise<void>((release) => resolve(() => release()));
              })
              .catch(() => resolve(null));
          }),
      }
    : null;

/** The outbox of the signed-in user in this page. */
export function outboxFor(user: number): Outbox {
  if (!shared || shared.user !== user) shared = new Outbox(localStorage, user, Date.now, undefined, webLocks);
  return shared;
}

let sending = false;

/**
 * Send every orphaned outbox of this user (a tree page adopts its tree's first) over
 * REST, op by op in order. An op the server refuses is dropped with a message; a network or
 * server failure stops and leaves the rest for later.
 */
export async function sendOrphans(outbox: Outbox): Promise<void> {
  if (sending) return;
  sending = true;
  try {
    for (;;) {
      const r = await outbox.take();
      if (!r) break;
      let ok = false;
      try {
        ok = await sendRecord(outbox, r);
      } finally {
        outbox.letGo(r.tree, r.client);
      }
      if (!ok) break;
    }
  } finally {
    sending = false;
  }
}

async function sendRecord(outbox: Outbox, r: OutboxRecord): Promise<boolean> {
  const refused: string[] = [];
  for (const o of [...r.ops]) {
    try {
      await api.postOp(r.tree, r.client, o.n, o.op);
    } catch (e) {
      const err = e as ApiError;
      if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429) {
        return false; // the server is away: try again later
      }
      if ((err.status === 404 && (await treeGone(r.tree))) || err.code === "forbidden") {
        refused.push(err.status === 404 ? "the tree is gone" : explain(err.code, err.message));
        outbox.drop(r, new Set(r.ops.map((x) => x.n)));
        break;
      }
      refused.push(explain(err.code, err.message));
    }
    outbox.drop(r, new Set([o.n]));
  }
  if (refused.length)
    toast(
      `${refused.length === 1 ? "An edit" : `${refused.length} edits`} you made before leaving tree ${r.tree} could not be saved: ${refused[0]}`,
      { kind: "error", ms: 12000 },
    );
  return true;
}

async function treeGone(tree: number): Promise<boolean> {
  try {
    await api.tree(tree);
    return false;
  } catch (e) {
    return e instanceof ApiError && e.status === 404;
  }
}
