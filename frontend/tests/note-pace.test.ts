/**
 * The pace of a note's writes (core/note-pace.ts): the first key at once, then at most one
 * write per interval while the keys go on, the interval growing with the note's length.
 */
import { describe, expect, it } from "vitest";
import { NOTE_MIN_INTERVAL_MS, NOTE_OFFLINE_INTERVAL_MS, NotePace, noteInterval } from "../src/core/note-pace";

/** Keys at `times` (ms) in a note of `length`: when the page writes, as treepage-panels does. */
function writes(times: number[], length: (i: number) => number): number[] {
  const pace = new NotePace();
  const out: number[] = [];
  let due: number | null = null;
  for (const [i, t] of times.entries()) {
    if (due !== null && due <= t) {
      pace.wrote(due);
      out.push(due);
      due = null;
    }
    if (due !== null) continue; // a write is waiting: it takes this key
    const wait = pace.delay(t, length(i));
    if (wait === 0) {
      pace.wrote(t);
      out.push(t);
    } else due = t + wait;
  }
  if (due !== null) out.push(due);
  return out;
}

describe("noteInterval", () => {
  it("is 250 ms up to 2,500 characters, then grows with the length to 2 s at the note limit", () => {
    expect(noteInterval(0)).toBe(NOTE_MIN_INTERVAL_MS);
    expect(noteInterval(2500)).toBe(250);
    expect(noteInterval(10_000)).toBe(1000);
    expect(noteInterval(20_000)).toBe(2000);
  });

  it("keeps the bytes a note logs per second of typing within about 10 kB at any length", () => {
    for (let length = 0; length <= 20_000; length += 500) expect((length * 1000) / noteInterval(length)).toBeLessThanOrEqual(10_000);
  });

  it("writes offline only as often as before, since nobody sees them till they are sent", () => {
    expect(noteInterval(10, false)).toBe(NOTE_OFFLINE_INTERVAL_MS);
  });
});

describe("NotePace", () => {
  it("writes the first key at once, and a key after a quiet spell too", () => {
    expect(writes([0, 1000], () => 10)).toEqual([0, 1000]);
  });

  it("writes a run of typing at most every 250 ms, the last keys within 250 ms of the last write", () => {
    const keys = Array.from({ length: 50 }, (_, i) => i * 120); // a fast typist, 6 s
    const out = writes(keys, () => 100);
    expect(out[0]).toBe(0);
    for (let i = 1; i < out.length; i++) expect(out[i] - out[i - 1]).toBeGreaterThanOrEqual(250);
    // No key waits longer than the interval for the write that takes it.
    for (const k of keys) expect(out.find((w) => w >= k)! - k).toBeLessThanOrEqual(250);
    expect(out.length).toBeLessThanOrEqual(Math.ceil(keys.at(-1)! / 250) + 1);
  });

  it("writes a long note less often", () => {
    const keys = Array.from({ length: 50 }, (_, i) => i * 120);
    const out = writes(keys, () => 10_000);
    for (let i = 1; i < out.length; i++) expect(out[i] - out[i - 1]).toBeGreaterThanOrEqual(1000);
  });
});
