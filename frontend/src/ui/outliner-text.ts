/**
 * Text helpers of the outliner (and the pages around it): a message for a refused op, a short
 * label, and the caret or selection inside a contenteditable row.
 */
import type { ErrorCode } from "../generated/rules";
import type { StaleInfo } from "../core/undo";
import type { TreeNode } from "../core/types";

// Keyed by the server's error codes (generated/rules.ts): a code the server drops or renames
// fails the type check here.
const EXPLAIN: Partial<Record<ErrorCode, string>> = {
  bad_parent_type: "That type of node cannot go there.",
  cycle: "A node cannot go inside itself.",
  deleted: "Someone deleted that part of the tree.",
  not_found: "That node no longer exists.",
  stale: "Someone else changed it in the meantime; their change stands.",
  too_large: "That is over the size limits.",
  forbidden: "You do not have permission to edit this tree.",
  rate_limited: "Too many edits at once; retrying.",
};

export function explain(code: string, message: string): string {
  return (Object.hasOwn(EXPLAIN, code) ? EXPLAIN[code as ErrorCode] : undefined) ?? (message || code);
}

/** An undo step skipped because it would revert someone else's later change (core/undo.ts). */
export function staleMessage(info: StaleInfo, n: TreeNode | undefined, who: string): string {
  const what = `“${short(n?.text ?? "")}”`;
  const change =
    info.group === "position" ? "moved" : info.group === "deleted" ? (n?.deleted ? "deleted" : "restored") : `changed the ${info.group} of`;
  const name = who === "someone" || who === "you" ? who.charAt(0).toUpperCase() + who.slice(1) : who;
  return `Not ${info.redo ? "redone" : "undone"}: ${name} ${change} ${what} since; that would undo their change. Skipped to your step before.`;
}

export function short(s: string, n = 40): string {
  return s.length > n ? s.slice(0, n - 1) + "…" : s || "(empty)";
}

export function caretOffset(el: HTMLElement): number {
  const sel = document.getSelection();
  if (!sel || sel.rangeCount === 0 || !el.contains(sel.anchorNode)) return 0;
  const range = sel.getRangeAt(0).cloneRange();
  range.selectNodeContents(el);
  range.setEnd(sel.getRangeAt(0).startContainer, sel.getRangeAt(0).startOffset);
  return range.toString().length;
}

/** Where the selection starts and ends inside `el`, in characters (both 0 without one). */
export function selectionOffsets(el: HTMLElement): [number, number] {
  const sel = document.getSelection();
  if (!sel || sel.rangeCount === 0 || !el.contains(sel.anchorNode)) return [0, 0];
  const r = sel.getRangeAt(0);
  const upTo = (node: Node, offset: number) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    range.setEnd(node, offset);
    return range.toString().length;
  };
  return [upTo(r.startContainer, r.startOffset), upTo(r.endContainer, r.endOffset)];
}

export function placeCaret(el: HTMLElement, offset: number): void {
  const sel = document.getSelection();
  if (!sel) return;
  const range = document.createRange();
  const node = el.firstChild;
  if (node && node.nodeType === Node.TEXT_NODE) {
    range.setStart(node, Math.min(offset, node.textContent!.length));
  } else {
    range.setStart(el, 0);
  }
  range.collapse(true);
  sel.removeAllRanges();
  sel.addRange(range);
}

export function nodeAuthor(n: TreeNode, name: (id: number | null) => string): string {
  return name(n.author);
}
