import { describe, expect, it } from "vitest";
import { finished, percent, phaseText, pollMerge, type MergeJobLike } from "../src/core/merge";

const job = (status: MergeJobLike["status"], phase: string, progress: number): MergeJobLike => ({ status, phase, progress });
const noSleep = async () => {};

describe("merge progress", () => {
  it("names every phase the server reports, and something for a new one", () => {
    for (const phase of ["queued", "reading", "labels", "candidates", "ranking", "suggestions", "building", "writing"]) {
      expect(phaseText(phase)).not.toBe("Merging");
    }
    expect(phaseText("a-phase-added-later")).toBe("Merging");
  });

  it("shows whole percents and never 100 before the merge is done", () => {
    expect(percent(job("running", "candidates", 0.316))).toBe(31);
    expect(percent(job("running", "writing", 1.0))).toBe(99);
    expect(percent(job("running", "reading", -1))).toBe(0);
    expect(percent(job("running", "reading", Number.NaN))).toBe(0);
    expect(percent(job("done", "done", 1.0))).toBe(100);
    expect(finished(job("failed", "labels", 0.2))).toBe(true);
    expect(finished(job("queued", "queued", 0))).toBe(false);
  });

  it("polls until the merge is done, reporting every status in order", async () => {
    const answers = [job("running", "labels", 0.1), job("running", "writing", 0.6), job("done", "done", 1)];
    const seen: string[] = [];
    const end = await pollMerge(job("queued", "queued", 0), async () => answers.shift()!, (j) => seen.push(`${j.phase} ${percent(j)}`), {
      sleep: noSleep,
    });
    expect(end.status).toBe("done");
    expect(seen).toEqual(["queued 0", "labels 10", "writing 60", "done 100"]);
  });

  it("stops at a failed merge", async () => {
    const end = await pollMerge(job("running", "reading", 0), async () => job("failed", "candidates", 0.3), () => {}, { sleep: noSleep });
    expect(end.status).toBe("failed");
  });

  it("retries a failed poll and gives up after too many in a row", async () => {
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      if (calls < 3) throw new Error("network");
      return job("done", "done", 1);
    };
    expect((await pollMerge(job("queued", "queued", 0), flaky, () => {}, { sleep: noSleep })).status).toBe("done");
    const down = async (): Promise<MergeJobLike> => {
      throw new Error("server down");
    };
    await expect(pollMerge(job("queued", "queued", 0), down, () => {}, { sleep: noSleep, maxErrors: 3 })).rejects.toThrow("server down");
  });

  it("stops polling when cancelled", async () => {
    let polls = 0;
    let stop = false;
    const end = await pollMerge(
      job("running", "labels", 0.1),
      async () => {
        polls += 1;
        stop = true;
        return job("running", "candidates", 0.3);
      },
      () => {},
      { sleep: noSleep, cancelled: () => stop },
    );
    expect(polls).toBe(1);
    expect(end.phase).toBe("candidates");
  });
});
