/**
 * The other people's typing in the node this person is editing, as Y.Text changes: the
 * outliner maps the caret through them (core/ytext.ts, mapCaretThrough) instead of guessing
 * from the text before and after, which cannot tell someone's space from one's own.
 */
import type * as Y from "yjs";
import { LOCAL, ROOT, type TextDelta } from "../core/ytext";

export class RemoteTyping {
  private doc: Y.Doc | null = null;
  private deltas: TextDelta[] = [];

  private readonly seen = (e: Y.YTextEvent, tr: Y.Transaction): void => {
    // This person's own keystrokes are already on the screen.
    if (tr.origin !== LOCAL) this.deltas.push(e.delta);
  };

  /** Follow `doc` (the edited node's text document), or nothing. */
  watch(doc: Y.Doc | null): void {
    if (doc === this.doc) return;
    this.doc?.getText(ROOT).unobserve(this.seen);
    this.doc = doc;
    this.deltas = [];
    doc?.getText(ROOT).observe(this.seen);
  }

  /** The changes seen since the last call (and forget them). */
  take(): TextDelta[] {
    const out = this.deltas;
    this.deltas = [];
    return out;
  }
}
