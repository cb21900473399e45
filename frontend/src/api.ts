/** The REST API (session auth + CSRF header), typed. */
import type { MergeStatus } from "./core/merge";
import type { NodeType, Op, TreeKind, TreeNode, User } from "./core/types";

export interface TreeSummary {
  id: number;
  kind: TreeKind;
  title: string;
  description: string;
  owner: User;
  role: "owner" | "editor" | "viewer";
  version: number;
  created_at: string;
  updated_at: string;
  /** The tree detail only (GET /api/trees/<id>/): the workshop of an exercise's tree, else null. */
  workshop?: TreeWorkshop | null;
}

export interface TreeWorkshop {
  id: number;
  title: string;
  exercise: number;
}

export interface Member {
  user: User;
  role: "owner" | "editor" | "viewer";
}

/** One logged op with who wrote it and when (history, versions). */
export interface HistoryEntry {
  seq: number;
  at: string;
  actor: User | null;
  op: Op;
}

/** One delete still in effect (docs/protocol.md, "History, trash and versions"). */
export interface TrashEntry {
  id: string;
  type: NodeType;
  text: string;
  parent: string | null;
  seq: number;
  count: number;
  restorable: boolean;
  at: string | null;
  actor: User | null;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

function cookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

async function csrf(): Promise<string> {
  const c = cookie("csrftoken");
  if (c) return c;
  if (!csrfToken) {
    const r = await fetch("/api/auth/csrf/", { credentials: "same-origin" });
    csrfToken = ((await r.json()) as { csrfToken: string }).csrfToken;
  }
  return cookie("csrftoken") ?? csrfToken;
}

export async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "GET") {
    headers["X-CSRFToken"] = await csrf();
    if (body !== undefined) headers["Content-Type"] = "application/json";
  }
  let r: Response;
  try {
    r = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "network", "The server cannot be reached.");
  }
  if (r.status === 204) return undefined as T;
  const data = await r.json().catch(() => null);
  if (!r.ok) {
    const d = (data ?? {}) as { code?: string; message?: string };
    throw new ApiError(r.status, d.code ?? "error", d.message ?? `Request failed (${r.status})`);
  }
  return data as T;
}

export const api = {
  /** Who is signed in: 200 either way, so a signed-out visit logs no failed request. */
  session: () => request<{ authenticated: boolean; user: User | null }>("GET", "/api/auth/session/"),
  login: (username: string, password: string) =>
    request<User>("POST", "/api/auth/login/", { username, password }),
  logout: async () => {
    await request<unknown>("POST", "/api/auth/logout/", {});
    csrfToken = null;
  },
  trees: () => request<TreeSummary[]>("GET", "/api/trees/"),
  tree: (id: number) => request<TreeSummary>("GET", `/api/trees/${id}/`),
  createTree: (kind: TreeKind, title: string, description = "") =>
    request<TreeSummary>("POST", "/api/trees/", { kind, title, description }),
  updateTree: (id: number, patch: { title?: string; description?: string }) =>
    request<TreeSummary>("PATCH", `/api/trees/${id}/`, patch),
  deleteTree: (id: number) => request<void>("DELETE", `/api/trees/${id}/`),
  leaveTree: (id: number) => request<void>("POST", `/api/trees/${id}/leave/`, {}),
  members: (id: number) => request<Member[]>("GET", `/api/trees/${id}/members/`),
  addMember: (id: number, username: string, role: string) =>
    request<Member>("POST", `/api/trees/${id}/members/`, { username, role }),
  setRole: (id: number, userId: number, role: string) =>
    request<Member>("PATCH", `/api/trees/${id}/members/${userId}/`, { role }),
  removeMember: (id: number, userId: number) =>
    request<void>("DELETE", `/api/trees/${id}/members/${userId}/`),
  snapshot: (id: number) =>
    request<{ seq: number; kind: TreeKind; nodes: TreeNode[] }>("GET", `/api/trees/${id}/snapshot/`),
  nodeHistory: (id: number, node: string, before?: number) =>
    request<{ node: string; entries: HistoryEntry[]; more: boolean }>(
      "GET",
      `/api/trees/${id}/nodes/${encodeURIComponent(node)}/history/${before ? `?before=${before}` : ""}`,
    ),
  trash: (id: number) => request<{ seq: number; entries: TrashEntry[] }>("GET", `/api/trees/${id}/trash/`),
  versions: (id: number, before?: number) =>
    request<{ seq: number; entries: HistoryEntry[]; more: boolean }>(
      "GET",
      `/api/trees/${id}/versions/${before ? `?before=${before}` : ""}`,
    ),
  version: (id: number, seq: number) =>
    request<{ seq: number; kind: TreeKind; nodes: TreeNode[] }>("GET", `/api/trees/${id}/versions/${seq}/`),
  /** One op through the same write path as the websocket (idempotent by client_id and n). */
  postOp: (id: number, clientId: string, n: number, op: Op) =>
    request<{ seq: number; dup: boolean }>("POST", `/api/trees/${id}/ops/`, { client_id: clientId, n, op }),
};

// ---------------------------------------------------------------- analysis (docs/analysis.md)

export interface SourceRef {
  tree: number;
  node: string;
  label: string;
  author?: string | number | null;
}

export interface ReviewSide {
  /** The merged node holding this source now; null if someone deleted it. */
  node: string | null;
  label: string;
  sources?: SourceRef[];
}

export interface ReviewCandidate {
  node: string;
  label: string;
  score: number;
  explanation?: string;
}

export interface ReviewSuggestion {
  id: number | string;
  status: "pending" | "accepted" | "rejected";
  a: ReviewSide;
  b: ReviewSide;
  score: number;
  explanation: string;
  candidates: ReviewCandidate[];
  /** A pick merged this candidate (not b) into a; b's pair stays open. */
  picked?: { node: string | null; label: string } | null;
  decided_by: { id: number; username: string; name?: string } | string | number | null;
  decided_at: string | null;
  [extra: string]: unknown;
}

export interface Disagreement {
  message?: string;
  [extra: string]: unknown;
}

export interface ReviewProgress {
  done: number;
  total: number;
}

export interface ReviewQueue {
  suggestions: ReviewSuggestion[];
  progress: ReviewProgress;
  disagreements: Disagreement[];
  /** Conflicting edits of forked copies, each with the people's values and its pick. */
  conflicts?: Conflict[];
}

/** A round-merge conflict (copies of one tree changed a node differently), with its pick. */
export interface Conflict {
  index: number;
  node: string;
  field: "text" | "deleted";
  base: string;
  changes: { tree: number; value: string; person: string; person_name?: string }[];
  message?: string;
  /** The merged node now, or null if it is gone. */
  merged: { node: string; text: string } | null;
  resolved: { pick: string; value: string; by: { id: number; username: string; name?: string }; at: string } | null;
}

/** The live `review` websocket message: a decision, or a settled conflict. */
export interface ReviewEvent {
  type: "review";
  suggestion?: ReviewSuggestion;
  progress?: ReviewProgress;
  conflict?: Conflict;
}

export interface BoardMember {
  tree: number;
  node: string;
  label: string;
  status?: string;
  proposal?: string | null;
  [extra: string]: unknown;
}

export interface BoardItem {
  label: string;
  score: number;
  /** Failure-mode items: the normalised tag (null for clusters of untagged critiques). */
  tag?: string | null;
  props?: number;
  stand?: number;
  authors?: number;
  re?: number;
  rescue?: number;
  kind?: string;
  node?: string;
  breadth?: number;
  support?: number;
  contributors?: number;
  explanation: string;
  members: BoardMember[];
}

export interface TagSuggestion {
  tree?: number;
  node: string;
  label: string;
  suggestions: { tag: string; score: number; neighbours: { tree?: number; node: string; label: string; score?: number }[] }[];
}

/** A merge running on the server (POST /api/merges/ answers one, its `url` the status). */
export interface MergeJob {
  id: number;
  url: string;
  status: MergeStatus;
  /** queued, reading, labels, candidates, ranking, suggestions, building, writing, done. */
  phase: string;
  /** 0..1 over the whole merge. */
  progress: number;
  /** Set when failed: `interrupted` (the server stopped), `merge_failed`, `merge_worker_died`,
   *  `merge_timeout` (the merge took too long), or an action code. */
  error: { code: string; message: string } | null;
  trees: number[];
  title: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The rest is null until the merge is done. */
  tree: TreeSummary | null;
  suggestions: number | null;
  disagreements: Disagreement[] | null;
  conflicts: Conflict[] | null;
  stats: Record<string, unknown> | null;
}

export const analysisApi = {
  survival: (id: number) =>
    request<{ seq: number; nodes: { id: string; status: string; reason: string; by: string[] }[] }>(
      "GET",
      `/api/trees/${id}/survival/`,
    ),
  recurring: (trees: number[], top?: number) =>
    request<{ kind: string; items: BoardItem[] }>(
      "GET",
      `/api/analysis/recurring/?trees=${trees.join(",")}${top ? `&top=${top}` : ""}`,
    ),
  tagSuggestions: (id: number) => request<TagSuggestion[]>("GET", `/api/trees/${id}/tag-suggestions/`),
  review: (id: number) => request<ReviewQueue>("GET", `/api/trees/${id}/review/`),
  /** `label`: whose label the merged node keeps ("a" by default); the other becomes an alias. */
  decide: (id: number, sid: number | string, decision: "accept" | "reject" | "pick", candidate?: string, label?: "a" | "b") =>
    request<unknown>("POST", `/api/trees/${id}/review/${sid}/`, {
      decision,
      ...(candidate === undefined ? {} : { candidate }),
      ...(label === undefined ? {} : { label }),
    }),
  /** Merge node b into node a by hand (an accepted suggestion "merged by hand": Undo splits it). */
  mergeNodes: (id: number, a: string, b: string, label: "a" | "b" = "a") =>
    request<ReviewEvent>("POST", `/api/trees/${id}/merge-nodes/`, { a, b, label }),
  splitNode: (id: number, node: string) => request<{ nodes: string[] }>("POST", `/api/trees/${id}/nodes/${node}/split/`, {}),
  pickConflict: (id: number, index: number, pick: string) =>
    request<Conflict>("POST", `/api/trees/${id}/conflicts/${index}/`, { pick }),
  undoDecision: (id: number, sid: number | string) => request<unknown>("POST", `/api/trees/${id}/review/${sid}/undo/`, {}),
  merge: (trees: number[], title: string) => request<MergeJob>("POST", "/api/merges/", { trees, title }),
  mergeStatus: (url: string) => request<MergeJob>("GET", url),
};

// ---------------------------------------------------------------- failure modes and rounds

/** A node of a problem tree that a failure-mode tag points at. */
export interface ProblemRef {
  tree: number;
  node: string;
  label?: string;
}

/** A row of GET /api/tags/ (one per tag of the signed-in user). */
export interface TagRow {
  tag: string;
  count: number;
  trees: number[];
  problem: ProblemRef | null;
  description: string;
}

/** A tag the tag field offers while typing (GET /api/tags/vocabulary/). */
export interface TagOffer {
  tag: string;
  count: number;
  source: "tree" | "group" | "vocabulary";
  label: string;
  description: string;
  aliases: string[];
}

export const tagsApi = {
  list: () => request<TagRow[]>("GET", "/api/tags/"),
  vocabulary: (tree?: number) => request<TagOffer[]>("GET", `/api/tags/vocabulary/${tree ? `?tree=${tree}` : ""}`),
  /** Rename tag(s) `from` to `to` in `trees` (default: every tree I may edit). */
  rename: (from: string[], to: string, trees?: number[]) =>
    request<{ from: string[]; to: string; trees: { tree: number; nodes: number }[] }>("POST", "/api/tags/rename/", {
      from,
      to,
      ...(trees ? { trees } : {}),
    }),
  /** PUT replaces the row: pass the description along to keep it. */
  set: (tag: string, problem: { tree: number; node: string } | null, description: string) =>
    request<TagRow>("PUT", `/api/tags/${encodeURIComponent(tag)}/`, { problem, description }),
};

export interface ForkResult {
  trees: { person: string; tree: TreeSummary }[];
}

export const forkApi = {
  fork: (id: number, people: string[]) => request<ForkResult>("POST", `/api/trees/${id}/fork/`, { people }),
};
