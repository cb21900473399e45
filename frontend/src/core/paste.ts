/**
 * Pasted text as an outline: several lines pasted into a node become nodes, nested by their
 * indentation, as in Workflowy or a Google Doc's bullet list. Pure: no DOM.
 */

/** One pasted line: its text (bullet and indentation removed) and its depth (0: the first line's level). */
export interface PastedLine {
  text: string;
  depth: number;
}

/** Beyond this many lines a paste is cut short and the page says to use Import instead. */
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
