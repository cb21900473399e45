/**
 * Nothing is lost on leave: the outbox of unsent edits (core/outbox.ts) in this browser's
 * localStorage, and the sending of orphaned outboxes (a tab that was reloaded, closed or
 * navigated away before the server acknowledged its edits) over REST.
 */
import { api, ApiError } from "../api";
import { type Locks, Outbox, type OutboxRecord } from "../core/outbox";
import { toast } from "./dom";
import { explain } from "./outliner";
import { mergeText } from "../core/ytext";

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
  const retyped = new Set<string>();
  for (const o of [...r.ops]) {
    const id = o.op.kind === "text" ? o.op.id : null;
    if (id !== null && retyped.has(id)) {
      // Carried by the re-applied text already (or told as refused).
      outbox.drop(r, new Set([o.n]));
      continue;
    }
    try {
      await api.postOp(r.tree, r.client, o.n, o.op);
      // Applied (now, or before the page went: a duplicate): the server holds the typing up to
      // this update, so a later refused one re-applies only the typing from its text on.
      if (id !== null && o.text !== undefined && r.typing?.[id]) r.typing[id] = { base: o.text, local: r.typing[id].local };
    } catch (e) {
      const err = e as ApiError;
      if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429) {
        return false; // the server is away: try again later
      }
      if ((err.status === 404 && (await treeGone(r.tree))) || err.code === "forbidden") {
        refused.push(err.status === 404 ? "the tree is gone" : explain(err.code, err.message));
        outbox.drop(r, new Set(r.ops.map((x) => x.n)), Object.keys(r.typing ?? {}));
        break;
      }
      if (id !== null && err.code === "conflict" && r.typing?.[id]) {
        // Typed on a document the server has compacted since: re-apply it as text.
        const done = await retype(r, id, o.n, refused);
        if (done === null) return false;
        retyped.add(id);
        outbox.drop(r, new Set([o.n]), [id]);
        continue;
      }
      refused.push(lostText(err, id !== null ? r.typing?.[id]?.local : undefined));
      // Told with its text: the node's later updates carry the same typing.
      if (id !== null) retyped.add(id);
    }
    outbox.drop(r, new Set([o.n]), id !== null && !r.ops.some((x) => x.n !== o.n && x.op.kind === "text" && x.op.id === id) ? [id] : []);
  }
  // Typing whose updates were refused already (by the page that went): re-applied as text.
  for (const id of Object.keys(r.typing ?? {})) {
    if (r.ops.some((x) => x.op.kind === "text" && x.op.id === id)) continue;
    r.n += 1;
    if ((await retype(r, id, r.n, refused)) === null) return false;
    outbox.drop(r, new Set(), [id]);
  }
  if (refused.length)
    toast(
      `${refused.length === 1 ? "An edit" : `${refused.length} edits`} you made before leaving tree ${r.tree} could not be saved: ${refused[0]}`,
      { kind: "error", ms: refused.some((x) => x.includes("Your text")) ? 60000 : 12000 },
    );
  return true;
}

/**
 * Re-apply the typing recorded for node `id` on the server's text now: the three-way merge of
 * the page (`mergeText`), sent as a whole-text write with `base` (so typing that reaches the
 * server in between stays too). Null when the server is away; otherwise whether it was saved
 * (a refusal is added to `refused`, with the text).
 */
async function retype(r: OutboxRecord, id: string, n: number, refused: string[]): Promise<boolean | null> {
  const typing = r.typing![id];
  try {
    const snap = await api.snapshot(r.tree);
    const node = snap.nodes.find((x) => x.id === id);
    if (!node || node.deleted) {
      refused.push(lostText(new ApiError(409, "deleted", "the node was deleted"), typing.local));
      return false;
    }
    const value = mergeText(typing.base, typing.local, node.text);
    if (value !== node.text) await api.postOp(r.tree, r.client, n, { kind: "set", id, field: "text", value, base: node.text });
    return true;
  } catch (e) {
    const err = e as ApiError;
    if (!(err instanceof ApiError) || err.status === 0 || err.status >= 500 || err.status === 429) return null;
    refused.push(lostText(err, typing.local));
    return false;
  }
}

/** Why an edit was refused, with the text typed if it was typing (so it can be copied). */
function lostText(err: ApiError, typed: string | undefined): string {
  const why = explain(err.code, err.message);
  return typed === undefined ? why : `${why}. Your text: “${typed}”`;
}

async function treeGone(tree: number): Promise<boolean> {
  try {
    await api.tree(tree);
    return false;
  } catch (e) {
    return e instanceof ApiError && e.status === 404;
  }
}
