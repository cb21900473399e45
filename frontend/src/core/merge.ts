/**
 * A merge started over REST runs on the server in the background (docs/analysis.md): the client
 * polls its status URL until it is `done` or `failed`. Pure: no DOM, the fetch and the clock are
 * passed in, so the polling rules are unit-tested.
 */

export type MergeStatus = "queued" | "running" | "done" | "failed";

export interface MergeJobLike {
  status: MergeStatus;
  phase: string;
  progress: number;
}

/** What the user reads for each phase the server reports (trees/analysis/merge/pipeline.py PHASES). */
const PHASE_TEXT: Record<string, string> = {
  queued: "Waiting to start",
  reading: "Reading the trees",
  labels: "Reading the labels",
  candidates: "Finding likely matches",
  ranking: "Ranking the matches",
  suggestions: "Choosing matches and suggestions",
  building: "Building the merged tree",
  writing: "Saving the merged tree",
  done: "Done",
};

export function phaseText(phase: string): string {
  return PHASE_TEXT[phase] ?? "Merging";
}

/** Whole percent, 0-100; a job not done never shows 100. */
export function percent(job: MergeJobLike): number {
  if (job.status === "done") return 100;
  const p = Math.floor(Math.min(1, Math.max(0, Number.isFinite(job.progress) ? job.progress : 0)) * 100);
  return Math.min(p, 99);
}

export function finished(job: MergeJobLike): boolean {
  return job.status === "done" || job.status === "failed";
}

export interface PollOptions {
  /** Time between two polls (the server writes progress at most every 500 ms). */
  intervalMs?: number;
  /** Give up after this many polls fail in a row (network, server restart). */
  maxErrors?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Stop polling (the dialog was closed); the promise then resolves with the last status. */
  cancelled?: () => boolean;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Poll `get` until the job is finished, calling `update` with every status (the first one
 * included, so the caller can start from the POST's answer). Errors of single polls are
 * retried; `maxErrors` of them in a row reject with the last one.
 */
export async function pollMerge<J extends MergeJobLike>(
  first: J,
  get: () => Promise<J>,
  update: (job: J) => void,
  opts: PollOptions = {},
): Promise<J> {
  const interval = opts.intervalMs ?? 400;
  const maxErrors = opts.maxErrors ?? 10;
  const sleep = opts.sleep ?? wait;
  let job = first;
  update(job);
  let errors = 0;
  while (!finished(job) && !opts.cancelled?.()) {
    await sleep(interval);
    if (opts.cancelled?.()) break;
    try {
      job = await get();
      errors = 0;
    } catch (e) {
      errors += 1;
      if (errors >= maxErrors) throw e;
      continue;
    }
    update(job);
  }
  return job;
}
