/** The workshop REST API (docs/security.md, "Workshops and share links"), typed. */
import { request } from "../../api";
import type { User } from "../../core/types";

export interface Workshop {
  id: number;
  title: string;
  open: boolean;
  created_at: string;
  role: "facilitator" | "participant";
  display_name: string;
  /** Facilitators only (null for participants): the code to read aloud, the link's token. */
  code: string | null;
  join_token: string | null;
}

export interface Participant {
  id: number;
  user: number;
  display_name: string;
  role: "facilitator" | "participant";
  joined_at: string;
}

export interface JoinResult {
  workshop: Workshop;
  participant: Participant;
  user: User;
  account_created: boolean;
}

export interface ShareLink {
  id: number;
  token: string;
  role: "editor" | "viewer";
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

export const workshopApi = {
  list: () => request<Workshop[]>("GET", "/api/workshops/"),
  create: (title: string, displayName?: string) =>
    request<Workshop>("POST", "/api/workshops/", { title, ...(displayName ? { display_name: displayName } : {}) }),
  get: (id: number) => request<Workshop>("GET", `/api/workshops/${id}/`),
  update: (id: number, patch: { title?: string; open?: boolean }) =>
    request<Workshop>("PATCH", `/api/workshops/${id}/`, patch),
  participants: (id: number) => request<Participant[]>("GET", `/api/workshops/${id}/participants/`),
  removeParticipant: (id: number, pid: number) =>
    request<void>("DELETE", `/api/workshops/${id}/participants/${pid}/`),
  resetParticipant: (id: number, pid: number) =>
    request<{ key: string; expires_at: string }>("POST", `/api/workshops/${id}/participants/${pid}/reset/`, {}),
  join: (by: { token: string } | { code: string }, displayName: string) =>
    request<JoinResult>("POST", "/api/join/", { ...by, display_name: displayName }),
  redeemAccess: (key: string) => request<User>("POST", "/api/auth/access/", { key }),
  setPassword: (password: string) => request<void>("POST", "/api/auth/password/set/", { new_password: password }),
};

export const shareApi = {
  links: (tree: number) => request<ShareLink[]>("GET", `/api/trees/${tree}/links/`),
  create: (tree: number, role: "editor" | "viewer", expiresAt: string | null) =>
    request<ShareLink>("POST", `/api/trees/${tree}/links/`, { role, ...(expiresAt ? { expires_at: expiresAt } : {}) }),
  revoke: (tree: number, link: number) => request<void>("DELETE", `/api/trees/${tree}/links/${link}/`),
  redeem: (token: string) => request<{ tree: number; role: string; changed: boolean }>("POST", "/api/share/", { token }),
  /** Signed out: enter as a guest under `displayName` (the session is signed in to the guest). */
  enter: (token: string, displayName: string) =>
    request<{ tree: number; role: string; user: User; account_created: boolean }>("POST", "/api/share/enter/", {
      token,
      display_name: displayName,
    }),
};

/** The link a facilitator hands out (the server serves the client at /join/<token>). */
export function joinUrl(token: string): string {
  return `${location.origin}/join/${token}`;
}

export function shareUrl(token: string): string {
  return `${location.origin}/share/${token}`;
}

export function accessUrl(key: string): string {
  return `${location.origin}/access/${key}`;
}

/** "ABCDEF" -> "ABC DEF": easier to read aloud and to copy from a projector. */
export function spacedCode(code: string): string {
  return code.length > 4 ? `${code.slice(0, Math.ceil(code.length / 2))} ${code.slice(Math.ceil(code.length / 2))}` : code;
}

// ---------------------------------------------------------------- groups, exercises, rounds
// The shapes of /work/helpers/CONTRACT-workshop.md (docs/workshops.md once landed).

export interface Group {
  id: number;
  name: string;
  position: number;
  /** Participant ids. */
  members: number[];
}

export interface GroupMerge {
  group: number;
  status: "waiting" | "running" | "done" | "failed" | "single" | "empty";
  tree: number | null;
  job: number | null;
  error_code: string;
}

export interface Round {
  id: number;
  exercise: number;
  number: number;
  mode: "group" | "individual";
  blind: boolean;
  duration_seconds: number;
  state: "pending" | "running" | "ended";
  started_at: string | null;
  ends_at: string | null;
  ended_at: string | null;
  merges: GroupMerge[];
}

export interface ExTree {
  id: number;
  tree: number;
  title: string;
  kind: "group" | "individual" | "merged";
  exercise: number;
  round: number | null;
  group: number;
  participant: number | null;
  role: "owner" | "editor" | "viewer";
}

export interface Exercise {
  id: number;
  kind: "game_tree" | "problem_tree";
  title: string;
  phase: string;
  position: number;
  created_at: string;
  rounds: Round[];
  trees: ExTree[];
}

export interface ParticipantInGroup extends Participant {
  group?: number | null;
}

/** What a move did with one of the person's individual trees (docs/guide.md, "Moving someone"). */
export interface TreeFate {
  tree: number;
  exercise: number;
  round: number;
  round_number: number;
  group: number;
  outcome: "follows" | "merged_already" | "no_group";
  message: string;
}

export interface Moved extends ParticipantInGroup {
  trees: TreeFate[];
  message: string;
}

export interface Home {
  workshop: Workshop;
  me: ParticipantInGroup;
  group: Group | null;
  groups: Group[];
  participants: ParticipantInGroup[];
  exercises: Exercise[];
  server_time: string;
}

export type Template = "game_tree" | "problem_tree" | "before_after_reading";

export interface ExerciseCreate {
  template: Template;
  title?: string;
  phase?: string;
  duration_seconds?: number;
  rounds?: number;
  blind?: boolean;
}

export const roundsApi = {
  home: (w: number) => request<Home>("GET", `/api/workshops/${w}/home/`),
  groups: (w: number) => request<{ groups: Group[]; unassigned: number[] }>("GET", `/api/workshops/${w}/groups/`),
  draw: (w: number, size: 2 | 3) =>
    request<{ groups: Group[]; unassigned: number[] }>("POST", `/api/workshops/${w}/groups/draw/`, { size }),
  addGroup: (w: number, name?: string) => request<Group>("POST", `/api/workshops/${w}/groups/`, name ? { name } : {}),
  renameGroup: (w: number, g: number, name: string) => request<Group>("PATCH", `/api/workshops/${w}/groups/${g}/`, { name }),
  deleteGroup: (w: number, g: number) => request<void>("DELETE", `/api/workshops/${w}/groups/${g}/`),
  move: (w: number, p: number, group: number | null) =>
    request<Moved>("PATCH", `/api/workshops/${w}/participants/${p}/`, { group }),
  exercises: (w: number) => request<Exercise[]>("GET", `/api/workshops/${w}/exercises/`),
  addExercise: (w: number, body: ExerciseCreate) =>
    request<{ exercises: Exercise[] }>("POST", `/api/workshops/${w}/exercises/`, body),
  deleteExercise: (w: number, e: number) => request<void>("DELETE", `/api/workshops/${w}/exercises/${e}/`),
  start: (w: number, r: number, durationSeconds?: number) =>
    request<Round>("POST", `/api/workshops/${w}/rounds/${r}/start/`, durationSeconds ? { duration_seconds: durationSeconds } : {}),
  extend: (w: number, r: number, seconds: number) =>
    request<Round>("POST", `/api/workshops/${w}/rounds/${r}/extend/`, { seconds }),
  end: (w: number, r: number) => request<Round>("POST", `/api/workshops/${w}/rounds/${r}/end/`, {}),
  merge: (w: number, r: number) => request<Round>("POST", `/api/workshops/${w}/rounds/${r}/merge/`, {}),
  prepare: (w: number, r: number) => request<Exercise>("POST", `/api/workshops/${w}/rounds/${r}/prepare/`, {}),
};
