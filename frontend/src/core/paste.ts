/**
 * Pasted text as an outline: several lines pasted into a node become nodes, nested by their
 * indentation, as in Workflowy or a Google Doc's bullet list; and what a paste into a node
 * does (`planPaste`): typed in, nodes, or refused whole with the reason, never cut short
 * (docs/guide.md, "Paste"). Pure: no DOM.
 */
import { LIMITS } from "../generated/rules";
import { longerThan } from "./node-rules";


/** One pasted line: its text (bullet and indentation removed) and its depth (0: the first line's level). */
export interface PastedLine {
  text: string;
  depth: number;
}

/** A paste makes at most this many nodes: one op each, and a connection may send 200 ops at
 * once (docs/protocol.md, "Limits"). A longer paste is refused whole, pointing to Import. */
export const MAX_PASTED_LINES = 200;

// "- ", "* ", "+ ", "• ", "1. ", "1) ", "a. ", "[ ] ", "[x] " at the start of a line
const BULLET = /^(?:[-*+•◦▪‣–]\s+|\d{1,3}[.)]\s+|[a-zA-Z][.)]\s+(?=\S)|\[[ xX]?\]\s+)/;

function indentWidth(line: string): number {
  let w = 0;
  for (const ch of line) {
    if (ch === " ") w += 1;
    else if (ch === "\t") w += 4;
    else if (ch === "\u00a0") w += 1;
    else break;
  }
  return w;
}

/**
 * The non-blank lines of `text` with their depths. A line indented more than the one before
 * goes one level deeper (never more than one); less indented, back to the level it matches.
 * A list numbered "a." is taken as a bullet only when text follows.
 */
export function parsePastedOutline(text: string): PastedLine[] {
  const raw = text.replace(/\r\n?/g, "\n").split("\n").filter((l) => l.trim() !== "");
  const out: PastedLine[] = [];
  const widths: number[] = []; // the indentation of each open level
  for (const line of raw) {
    const w = indentWidth(line);
    const trimmed = line.trim();
    const body = /^[-*+•◦▪‣–]$/.test(trimmed) ? "" : trimmed.replace(BULLET, "").trim();
    if (!body) continue;
    if (!widths.length) widths.push(w);
    else if (w > widths[widths.length - 1]) widths.push(w);
    else {
      while (widths.length > 1 && w < widths[widths.length - 1]) widths.pop();
      // in between two levels (an uneven indent): one level deeper than the one it passed
      if (w > widths[widths.length - 1]) widths.push(w);
    }
    const depth = Math.min(widths.length - 1, out.length ? out[out.length - 1].depth + 1 : 0);
    out.push({ text: body.replace(/\s+/g, " "), depth });
  }
  return out;
}

function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function num(n: number): string {
  return n.toLocaleString("en");
}

/** What a paste into a node's text does. */
export type PastePlan =
  /** One line, typed in at the caret (`text`: the pasted text on one line). */
  | { kind: "inline"; text: string }
  /** Several lines: the first goes in at the caret, the others become nodes. */
  | { kind: "outline"; lines: PastedLine[] }
  /** Nothing is pasted: `message` says why. `note`: the node's note with the pasted text
   * added at its end, when that fits the note's limit (the page offers it), else null. */
  | { kind: "refused"; message: string; note: string | null };

/** The node's note with `pasted` added at its end (after a blank line). */
export function noteWithPaste(note: string, pasted: string): string {
  const add = pasted.replace(/\r\n?/g, "\n").trim();
  return note.trim() ? `${note.replace(/\s+$/, "")}\n\n${add}` : add;
}

/**
 * What pasting `pasted` over the text between `before` and `after` (the node's text around
 * the caret or selection) does. A paste that would not fit is refused whole, never cut:
 * a text over the node's limit, an outline of more than `MAX_PASTED_LINES` lines or with a
 * line over the limit. The refusal offers the node's note when the pasted text fits there.
 */
export function planPaste(before: string, after: string, pasted: string, note: string): PastePlan {
  const refuse = (why: string): PastePlan => {
    const withPaste = noteWithPaste(note, pasted);
    const fits = !longerThan(withPaste, LIMITS.note);
    const tail = fits
      ? " Nothing was pasted; it can go into the note instead."
      : ` Nothing was pasted (it is too long for the note too: at most ${num(LIMITS.note)} characters).`;
    return { kind: "refused", message: why + tail, note: fits ? withPaste : null };
  };
  const lines = /\n\s*\S/.test(pasted.trim()) ? parsePastedOutline(pasted) : [];
  if (lines.length >= 2) {
    if (lines.length > MAX_PASTED_LINES)
      return refuse(
        `That paste has ${num(lines.length)} lines; a paste makes at most ${MAX_PASTED_LINES} nodes ` +
          "(paste it in parts, or make a tree of it with Import… on the tree list).",
      );
    const first = before + lines[0].text + after;
    if (longerThan(first, LIMITS.text))
      return refuse(
        `Its first line would make this node's text ${num(chars(first))} characters; a node's text takes at most ${num(LIMITS.text)}.`,
      );
    const long = lines.findIndex((l, i) => i > 0 && longerThan(l.text, LIMITS.text));
    if (long > 0)
      return refuse(
        `Line ${long + 1} of the paste is ${num(chars(lines[long].text))} characters; a node's text takes at most ${num(LIMITS.text)}.`,
      );
    return { kind: "outline", lines };
  }
  const text = pasted.replace(/\s*\n\s*/g, " ");
  const result = before + text + after;
  if (longerThan(result, LIMITS.text)) {
    const has = chars(before + after);
    return refuse(
      `The pasted text is ${num(chars(text))} characters; a node's text takes at most ${num(LIMITS.text)}` +
        (has ? ` (this one has ${num(has)} already).` : "."),
    );
  }
  return { kind: "inline", text };
}
