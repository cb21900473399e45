/**
 * Client core, DOM-free: what a node may hold, checked as the server checks it (limits from
 * trees/domain/limits.py via the generated rules; tags as trees/domain/tags.py spells them).
 */
import { LIMITS } from "../generated/rules";
import { OpError } from "./types";

/**
 * A tag's one spelling, as the server writes it (trees/domain/tags.py): lower case, leading
 * '#'s dropped, runs of spaces / hyphens / underscores as one hyphen, none at either end.
 * "#Goodhart" is "goodhart", "Scalable oversight" is "scalable-oversight".
 */
export function normTag(raw: string): string {
  return raw.trim().replace(/^#+/, "").toLowerCase().replace(/[\s_-]+/g, "-").replace(/^-+|-+$/g, "");
}

/** Each tag in its one spelling, the first of equal spellings kept; "" (nothing left) is refused. */
export function normTags(raw: readonly string[]): string[] {
  if (raw.length > LIMITS.tags) throw new OpError("too_large", "too many tags");
  const out: string[] = [];
  for (const t of raw) {
    const n = normTag(t);
    if (!n) throw new OpError("invalid", "tags must not be empty");
    if (!out.includes(n)) out.push(n);
  }
  return out;
}

/**
 * Is `s` longer than `limit` characters, counted as the server counts them: code points (an
 * emoji is one), not UTF-16 units. Cheap for the usual short text.
 */
export function longerThan(s: string, limit: number): boolean {
  if (s.length <= limit) return false;
  let n = 0;
  for (const _ of s) if (++n > limit) return true;
  return false;
}

export function checkText(text: string, note: string, tags: string[]): void {
  if (longerThan(text, LIMITS.text)) throw new OpError("too_large", "text is too long");
  if (longerThan(note, LIMITS.note)) throw new OpError("too_large", "note is too long");
  if (tags.length > LIMITS.tags) throw new OpError("too_large", "too many tags");
  if (new Set(tags).size !== tags.length) throw new OpError("invalid", "duplicate tags");
  for (const t of tags) {
    if (t.length < 1) throw new OpError("invalid", "tags must not be empty");
    if (longerThan(t, LIMITS.tag)) throw new OpError("too_large", `a tag is longer than ${LIMITS.tag} characters`);
  }
}
