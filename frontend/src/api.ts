/** The REST API (session auth + CSRF header), typed. */
import type { TreeKind, TreeNode, User } from "./core/types";

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
}

export interface Member {
  user: User;
  role: "owner" | "editor" | "viewer";
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

async function request<T>(method: string, url: string, body?: unknown): Promise<T> {
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
  me: () => request<User>("GET", "/api/auth/me/"),
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
};
