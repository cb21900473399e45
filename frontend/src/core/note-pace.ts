/**
 * Client core, DOM-free: when the note being typed is written (docs/protocol.md, "Node text").
 *
 * A note is written whole (not per keystroke as a node's text is), so how often it is written
 * is how long the others wait to see a key: a throttle, not a pause. The first key after a
 * quiet spell is written at once; while the keys go on, the newest text is written at most
 * every `noteInterval(length)` ms. So a key waits at most one interval, whatever the typing
 * speed, and there are at most 4 writes a second. (A pause after the last key, as before,
 * wrote every key of someone typing slower than the pause and held a faster typist's keys
 * to a maximum wait: more writes or a longer wait for the same typing; bench/RESULTS.md.)
 *
 * Each write is logged whole, so the interval grows with the note: 250 ms (4 writes a second)
 * up to 2,500 characters, then (length / 10) ms: 1 s at 10,000 characters, 2 s at the note
 * limit (20,000). No note logs more than about 10 kB a second of typing, the most a note
 * logged before (the longest note written every 2 s); bench/RESULTS.md has the cost.
 */

/** The shortest time between two writes of a note, while typing goes on. */
export const NOTE_MIN_INTERVAL_MS = 250;
/** Characters of note logged per ms of typing, at most (above 2,500 characters). */
export const NOTE_CHARS_PER_MS = 10;
/** Offline nobody sees the writes: they only keep the typing in the outbox till it is sent. */
export const NOTE_OFFLINE_INTERVAL_MS = 2000;

/** The time between two writes of a note of `length` characters while typing goes on. */
export function noteInterval(length: number, online = true): number {
  if (!online) return NOTE_OFFLINE_INTERVAL_MS;
  return Math.max(NOTE_MIN_INTERVAL_MS, Math.ceil(length / NOTE_CHARS_PER_MS));
}

export class NotePace {
  /** When the note was last written (`now`'s clock), or never. */
  private last = Number.NEGATIVE_INFINITY;

  /** A key was typed at `now`: in how many ms to write (0: now). */
  delay(now: number, length: number, online = true): number {
    return Math.max(0, this.last + noteInterval(length, online) - now);
  }

  /** The note was written at `now`. */
  wrote(now: number): void {
    this.last = now;
  }
}
