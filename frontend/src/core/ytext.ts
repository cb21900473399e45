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

/**
 * Turn the document's text into `value` by one minimal edit (common prefix and suffix kept).
 * `caret`: where the typist's caret is in `value` after the edit. A keystroke next to the same
 * character ("a" typed after "a", a space after a space) can be read as an edit at several
 * places that give the same text; they differ in which characters the new one is anchored to
 * (which matters when someone else types there at once), so take the one at the caret.
 */
export function diffInto(doc: Y.Doc, value: string, origin: unknown, caret?: number): boolean {
  const text = doc.getText(ROOT);
  const cur = text.toString();
  if (cur === value) return false;
  const at = caret === undefined ? null : editAtCaret(cur, value, caret);
  if (at) {
    doc.transact(() => {
      if (at.remove) text.delete(at.index, at.remove);
      if (at.insert) text.insert(at.index, at.insert);
    }, origin);
    return true;
  }
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

/** A pure insertion ending at `caret`, or a pure deletion at `caret`, that turns `cur` into
 * `value`; null when the edit is neither (the common prefix and suffix decide then). */
function editAtCaret(cur: string, value: string, caret: number): { index: number; remove: number; insert: string } | null {
  const grow = value.length - cur.length;
  if (grow > 0) {
    const index = caret - grow;
    if (index < 0 || caret > value.length) return null;
    if (isLow(value.charCodeAt(index)) || isLow(value.charCodeAt(caret))) return null;
    if (value.slice(0, index) !== cur.slice(0, index) || value.slice(caret) !== cur.slice(index)) return null;
    return { index, remove: 0, insert: value.slice(index, caret) };
  }
  if (grow < 0) {
    const remove = -grow;
    if (caret < 0 || caret + remove > cur.length) return null;
    if (isLow(cur.charCodeAt(caret)) || isLow(cur.charCodeAt(caret + remove))) return null;
    if (cur.slice(0, caret) !== value.slice(0, caret) || cur.slice(caret + remove) !== value.slice(caret)) return null;
    return { index: caret, remove, insert: "" };
  }
  return null;
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

/** One Y.Text change as its observer sees it (retain / insert / delete, in order). */
export type TextDelta = Y.YTextEvent["delta"];

/**
 * Where a caret at `off` in `old` belongs after the Y.Text changes `deltas` (in order): exact
 * where `mapCaret` guesses from two strings (a space typed next to the caret by someone else
 * is not told from one's own). Text inserted at the caret stays after it, so two people typing
 * at one place each keep their own run. Null when the changes do not turn `old` into `text`
 * (a change was missed, or the document was replaced): the caller guesses then.
 */
export function mapCaretThrough(old: string, deltas: readonly TextDelta[], text: string, off: number): number | null {
  let cur = old;
  let caret = off;
  for (const delta of deltas) {
    let out = "";
    let src = 0; // next unread position in `cur`
    let at = 0; // position in the text being built (`out` followed by `cur` from `src`)
    for (const op of delta) {
      if (op.retain !== undefined) {
        out += cur.slice(src, src + op.retain);
        src += op.retain;
        at += op.retain;
      } else if (typeof op.insert === "string") {
        if (at < caret) caret += op.insert.length;
        out += op.insert;
        at += op.insert.length;
      } else if (op.delete !== undefined) {
        if (at < caret) caret -= Math.min(op.delete, caret - at);
        src += op.delete;
      } else return null;
    }
    cur = out + cur.slice(src);
  }
  return cur === text ? Math.min(caret, text.length) : null;
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

/**
 * The longest-common-subsequence table of the part between the common prefix and suffix has
 * (old + 1) x (new + 1) cells; past this (two 2,000-character texts, the text limit) whole
 * lines are aligned first, and a run of changed lines still too long counts as one replaced
 * run. The server's trees/domain/textmerge.py has the same caps and gives the same results.
 */
export const MAX_DIFF_CELLS = 2001 * 2001;

/** A run of a diff: `old` characters kept (`same`) or replaced by `now` ones. */
interface Run {
  same: boolean;
  old: string[];
  now: string[];
}

type Put = (same: boolean, o: string | null, n: string | null) => void;

/**
 * One longest common subsequence of `a` and `b` as steps: ["=", i] a[i] kept, ["-", i] a[i]
 * deleted, ["+", j] b[j] inserted; b's insertions first where both orders are as long.
 */
function walk<T>(a: T[], b: T[]): ["=" | "-" | "+", number][] {
  const w = b.length + 1;
  // lcs[i * w + j]: the length of a longest common subsequence of a[i:] and b[j:].
  const lcs = new Uint16Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
  const steps: ["=" | "-" | "+", number][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      steps.push(["=", i++]);
      j++;
    } else if (j < b.length && (i === a.length || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j])) steps.push(["+", j++]);
    else steps.push(["-", i++]);
  }
  return steps;
}

function lines(chars: string[]): string[][] {
  const out: string[][] = [[]];
  for (const c of chars) {
    out[out.length - 1].push(c);
    if (c === "\n") out.push([]);
  }
  return out[out.length - 1].length ? out : out.slice(0, -1);
}

/** Emit how `b` came from `a` (no common prefix or suffix), character by character. */
function align(a: string[], b: string[], put: Put): void {
  if ((a.length + 1) * (b.length + 1) <= MAX_DIFF_CELLS) {
    for (const [kind, k] of walk(a, b)) {
      if (kind === "+") put(false, null, b[k]);
      else put(kind === "=", a[k], null);
    }
    return;
  }
  const la = lines(a);
  const lb = lines(b);
  const ids = new Map<string, number>();
  const id = (line: string[]) => {
    const s = line.join("");
    if (!ids.has(s)) ids.set(s, ids.size);
    return ids.get(s)!;
  };
  const ka = la.map(id);
  const kb = lb.map(id);
  const steps = (la.length + 1) * (lb.length + 1) <= MAX_DIFF_CELLS ? walk(ka, kb) : [];
  if (steps.some(([kind]) => kind === "=")) {
    // Too long to align character by character: align whole lines first, then the characters
    // of each run of changed lines (none of which is in the other run).
    let gone: string[] = [];
    let added: string[] = [];
    for (const [kind, k] of steps) {
      if (kind === "-") gone.push(...la[k]);
      else if (kind === "+") added.push(...lb[k]);
      else {
        align(gone, added, put);
        gone = [];
        added = [];
        for (const c of la[k]) put(true, c, null);
      }
    }
    align(gone, added, put);
    return;
  }
  // Too long either way: one replaced run.
  for (const c of a) put(false, c, null);
  for (const c of b) put(false, null, c);
}

/**
 * How `now` came from `old`, character by character (code points, so a surrogate pair is never
 * split): `gone[i]` says `old`'s i-th character was deleted, `added[i]` is what was inserted
 * before it (`added[old.length]`: at the end). A longest common subsequence after the common
 * prefix and suffix (of characters, or of lines first when the texts are too long for that:
 * `MAX_DIFF_CELLS`), then cleaned up as diff-match-patch's semantic cleanup does: a kept run no
 * longer than the edits on both sides of it is a coincidence (a letter of a rewritten word), so
 * it counts as replaced too; otherwise typing made next to a rewritten word would land inside
 * the new one.
 */
function charDiff(old: string[], now: string[]): { gone: boolean[]; added: string[] } {
  let pre = 0;
  while (pre < old.length && pre < now.length && old[pre] === now[pre]) pre++;
  let suf = 0;
  while (suf < old.length - pre && suf < now.length - pre && old[old.length - 1 - suf] === now[now.length - 1 - suf]) suf++;
  const runs: Run[] = [{ same: true, old: old.slice(0, pre), now: [] }];
  const put: Put = (same, o, n) => {
    let last = runs[runs.length - 1];
    if (last.same !== same) runs.push((last = { same, old: [], now: [] }));
    if (o !== null) last.old.push(o);
    if (n !== null && !same) last.now.push(n);
  };
  align(old.slice(pre, old.length - suf), now.slice(pre, now.length - suf), put);
  for (const c of old.slice(old.length - suf)) put(true, c, null);
  for (let k = 1; k < runs.length - 1; k++) {
    const r = runs[k];
    if (!r.same) continue;
    const before = runs[k - 1];
    const after = runs[k + 1];
    if (r.old.length > Math.max(before.old.length, before.now.length) || r.old.length > Math.max(after.old.length, after.now.length))
      continue;
    // A coincidence: the edits around it and it become one edit.
    runs.splice(k - 1, 3, { same: false, old: [...before.old, ...r.old, ...after.old], now: [...before.now, ...r.old, ...after.now] });
    k = Math.max(0, k - 3);
  }
  const gone = old.map(() => false);
  const added = new Array<string>(old.length + 1).fill("");
  let at = 0;
  for (const r of runs) {
    if (!r.same) {
      added[at] += r.now.join("");
      for (let k = 0; k < r.old.length; k++) gone[at + k] = true;
    }
    at += r.old.length;
  }
  return { gone, added };
}

/**
 * `mine`, edited from `base`, on a text that became `theirs` meanwhile: a three-way merge at
 * character level, as the two edits would have merged in the Y document. Every character either
 * side inserted is kept (where both inserted at one place, mine first: it was typed right after
 * the character before it, as Yjs orders it); a character of `base` stays unless either side
 * deleted it. So a person's typing re-applied after a compaction (core/sync-text.ts) keeps
 * everyone else's typing, even in the same words. Where both replaced the same characters (a
 * true conflict) both replacements stay. The server merges
 * a whole-text write with `base` by the same rule (trees/domain/textmerge.py `merge_text`,
 * the same results: tests/vectors/merge_text.json).
 */
export function mergeText(base: string, mine: string, theirs: string): string {
  if (theirs === base || mine === theirs) return mine;
  if (mine === base) return theirs;
  const b = Array.from(base);
  const m = charDiff(b, Array.from(mine));
  const t = charDiff(b, Array.from(theirs));
  let out = "";
  for (let i = 0; i <= b.length; i++) {
    out += m.added[i] + t.added[i];
    if (i < b.length && !t.gone[i] && !m.gone[i]) out += b[i];
  }
  return out;
}

/**
 * `mergeText`, and where the places `at` in `mine` (UTF-16 offsets, e.g. a textarea's caret and
 * selection) are in the result. A place inside or right after this side's own insertion stays
 * with it; the other side's text inserted at the place goes after it (as `mapCaretThrough`:
 * two people typing at one place each keep their own run).
 */
export function mergeTextAt(base: string, mine: string, theirs: string, at: number[]): { text: string; at: number[] } {
  if (theirs === base || mine === theirs) return { text: mine, at: [...at] };
  const b = Array.from(base);
  const m = charDiff(b, Array.from(mine));
  const t = charDiff(b, Array.from(theirs));
  // The places as code point indexes in `mine`, placed as the result is built.
  const want = at.map((off) => Array.from(mine.slice(0, Math.max(0, off))).length);
  const got: number[] = at.map(() => -1);
  const place = (minePos: number, outPos: number) => {
    for (let j = 0; j < want.length; j++) if (got[j] < 0 && want[j] === minePos) got[j] = outPos;
  };
  let out = "";
  let pos = 0; // code points of `mine` passed
  for (let i = 0; i <= b.length; i++) {
    place(pos, out.length);
    for (const c of Array.from(m.added[i])) {
      out += c;
      place(++pos, out.length);
    }
    out += t.added[i];
    if (i === b.length) break;
    if (!m.gone[i]) pos++;
    if (!t.gone[i] && !m.gone[i]) out += b[i];
  }
  place(pos, out.length);
  return { text: out, at: got.map((g) => (g < 0 ? out.length : g)) };
}
