/**
 * Client core, DOM-free: the mergeable text of a node, a Yjs `Y.Text` (docs/protocol.md, "Node
 * text"). The server keeps the same documents with pycrdt (trees/domain/ytext.py); both sides
 * must build byte-identical seeds, so the constants here equal the server's.
 */
import * as Y from "yjs";

export const ROOT = "t";
/** The client id of the seed: a never-merged text inserted in one step. */
export const SEED_CLIENT = 1;
/** The client id of the server's whole-text diffs (`set text` with `y`). */
export const SERVER_CLIENT = 2;
/** Transaction origin of this person's own typing (tracked by their undo manager). */
export const LOCAL = "local";

export function newDoc(): Y.Doc {
  const doc = new Y.Doc();
  // Random 32-bit ids: step off the two reserved ones (a 1 in 2^31 chance).
  while (doc.clientID === SEED_CLIENT || doc.clientID === SERVER_CLIENT) doc.clientID = Math.floor(Math.random() * 2 ** 31) + 3;
  return doc;
}

export function seedUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = SEED_CLIENT;
  if (text) doc.getText(ROOT).insert(0, text);
  return Y.encodeStateAsUpdate(doc);
}

/** A node's document from its stored state `y` (base64), or the seed of `text` when empty. */
export function loadDoc(y: string | undefined, text: string): Y.Doc {
  const doc = newDoc();
  Y.applyUpdate(doc, y ? fromBase64(y) : seedUpdate(text));
  return doc;
}

export function textOf(doc: Y.Doc): string {
  return doc.getText(ROOT).toString();
}

export function stateOf(doc: Y.Doc): string {
  return toBase64(Y.encodeStateAsUpdate(doc));
}

/** Turn the document's text into `value` by one minimal edit (common prefix and suffix kept). */
export function diffInto(doc: Y.Doc, value: string, origin: unknown): boolean {
  const text = doc.getText(ROOT);
  const cur = text.toString();
  if (cur === value) return false;
  let start = 0;
  const max = Math.min(cur.length, value.length);
  while (start < max && cur.charCodeAt(start) === value.charCodeAt(start)) start++;
  let endOld = cur.length;
  let endNew = value.length;
  while (endOld > start && endNew > start && cur.charCodeAt(endOld - 1) === value.charCodeAt(endNew - 1)) {
    endOld--;
    endNew--;
  }
  // Never split a surrogate pair: Yjs counts UTF-16 units, the server whole characters.
  if (start > 0 && isHigh(cur.charCodeAt(start - 1))) start--;
  if (endOld < cur.length && isLow(cur.charCodeAt(endOld))) {
    endOld++;
    endNew++;
  }
  doc.transact(() => {
    if (endOld > start) text.delete(start, endOld - start);
    if (endNew > start) text.insert(start, value.slice(start, endNew));
  }, origin);
  return true;
}

function isHigh(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** The server's diff turning `doc`'s text into `value` (for test servers; see the server's
 * trees/domain/ytext.py `diff_update`). `doc` is not changed. */
export function serverDiff(doc: Y.Doc, value: string): string {
  const tmp = new Y.Doc();
  tmp.clientID = SERVER_CLIENT;
  Y.applyUpdate(tmp, Y.encodeStateAsUpdate(doc));
  const sv = Y.encodeStateVector(tmp);
  diffInto(tmp, value, null);
  return toBase64(Y.encodeStateAsUpdate(tmp, sv));
}

/** What `doc` has beyond `base` (a self-contained update: it never needs an earlier one). */
export function updateBeyond(doc: Y.Doc, base: Y.Doc | null): string {
  const sv = base ? Y.encodeStateVector(base) : undefined;
  return toBase64(Y.encodeStateAsUpdate(doc, sv));
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Where a caret at `off` in `old` belongs in `text`: edits after it leave it, edits before it
 * shift it (someone else typing in the same node must not move this person's caret). */
export function mapCaret(old: string, text: string, off: number): number {
  let p = 0;
  const max = Math.min(old.length, text.length);
  while (p < max && old[p] === text[p]) p++;
  let q = 0;
  while (q < max - p && old[old.length - 1 - q] === text[text.length - 1 - q]) q++;
  if (off <= p) return Math.min(off, text.length);
  if (off >= old.length - q) return Math.min(text.length, off + text.length - old.length);
  return text.length - q;
}

/**
 * What `local` has beyond `base` (a replica of the same document that `local` contains), as a
 * Y.Text delta against `base`'s text: the edits to re-apply to a compacted document whose text
 * equals `base`'s. Null when there is nothing.
 */
export function pendingDelta(base: Y.Doc, local: Y.Doc): Y.YTextEvent["delta"] | null {
  const tmp = new Y.Doc();
  Y.applyUpdate(tmp, Y.encodeStateAsUpdate(base));
  let delta: Y.YTextEvent["delta"] | null = null;
  tmp.getText(ROOT).observe((e) => {
    delta = e.delta;
  });
  Y.applyUpdate(tmp, Y.encodeStateAsUpdate(local, Y.encodeStateVector(base)));
  return delta;
}

function span(old: string, now: string): [number, number, number] {
  let start = 0;
  const max = Math.min(old.length, now.length);
  while (start < max && old.charCodeAt(start) === now.charCodeAt(start)) start++;
  let endOld = old.length;
  let endNew = now.length;
  while (endOld > start && endNew > start && old.charCodeAt(endOld - 1) === now.charCodeAt(endNew - 1)) {
    endOld--;
    endNew--;
  }
  return [start, endOld, endNew];
}

/**
 * `mine`, edited from `base`, on a text that became `theirs` meanwhile: `theirs` with the one
 * edit of `base` that `mine` made, where it lands now; where both changed the same span, `mine`
 * wins there. The same rule as the server's `merge_text` (trees/domain/ytext.py).
 */
export function mergeText(base: string, mine: string, theirs: string): string {
  if (theirs === base) return mine;
  if (mine === base) return theirs;
  const [s1, e1, m1] = span(base, mine);
  const [s2, e2, t2] = span(base, theirs);
  if (e1 <= s2 && !(s1 === e1 && e1 === s2 && s2 === e2)) return theirs.slice(0, s1) + mine.slice(s1, m1) + theirs.slice(e1);
  if (e2 <= s1) {
    const shift = t2 - e2;
    return theirs.slice(0, s1 + shift) + mine.slice(s1, m1) + theirs.slice(e1 + shift);
  }
  return mine;
}
