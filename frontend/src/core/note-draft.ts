/**
 * Client core, DOM-free: the note being written in the details panel, merged live with other
 * people's writes of the same note (docs/protocol.md, "Node text": a note is written with
 * `base` and merged by the three-way text merge).
 *
 * A note is plain text, not a Yjs document: each write is the whole note with the text it was
 * edited from (`base`), and the server merges that edit into the note as it is then. While
 * this person writes, every write of the note the server logs is brought into the draft at once
 * by the same merge, so they see another person's sentence appear while their caret, selection
 * and unsent typing stay where they were (as the node's text does while typing in its row).
 */
import { mapCaret, mergeTextAt } from "./ytext";

export class NoteDraft {
  /** The server's note as last brought into the draft. */
  private shown: string;
  /**
   * What the next write is made from: the note as the server will hold it once this draft's
   * writes so far are applied (the value last written, with others' edits merged in since).
   */
  base: string;

  /**
   * `server`: the node's note in the log so far; `written`: the note as this page shows it (the
   * server's, or this person's write of it not yet acknowledged), which the draft starts from.
   */
  constructor(server: string, written: string) {
    this.shown = server;
    this.base = written;
  }

  /**
   * A write of the note reached the log, `note` being the server's note after it. Someone
   * else's edit is merged into `draft` (with the places `at` in it, e.g. the caret and the
   * selection, mapped); this person's own write is in the draft already. `settled`: no write
   * of this draft is left unanswered (then a draft with nothing unsent becomes the server's
   * note exactly, should the two merges have placed something differently).
   */
  logged(note: string, mine: boolean, draft: string, at: number[] = [], settled = false): { draft: string; at: number[] } {
    if (mine) {
      this.shown = note;
      if (!settled || draft !== this.base || draft === note) return { draft, at };
      this.base = note;
      return { draft: note, at: at.map((off) => mapCaret(draft, note, off)) };
    }
    const merged = mergeTextAt(this.shown, draft, note, at);
    // The server will merge a write still in flight the same way (it has the same rule).
    this.base = mergeTextAt(this.shown, this.base, note, []).text;
    this.shown = note;
    return { draft: merged.text, at: merged.at };
  }

  /** The tree was loaded again (a snapshot): `note` is the server's note now. */
  reloaded(note: string, draft: string, unsure: boolean): string {
    // A write of this page may be in `note` already, unacknowledged: merging would add it again.
    const merged = unsure ? draft : mergeTextAt(this.shown, draft, note, []).text;
    if (!unsure) this.base = mergeTextAt(this.shown, this.base, note, []).text;
    this.shown = note;
    return merged;
  }

  /** `value` was written (sent with `base`): the next write is made from it. */
  wrote(value: string): void {
    this.base = value;
  }

  /** Something is typed that was not written yet. */
  unsent(draft: string): boolean {
    return draft !== this.base;
  }
}
