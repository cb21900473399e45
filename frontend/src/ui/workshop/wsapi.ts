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
