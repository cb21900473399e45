/** Shared types of the client core: nodes, operations and websocket messages (docs/protocol.md). */

import type { NodeType, OpErrorCode, TreeKind } from "../generated/rules";

// The kinds and node types are the server's (generated from trees/domain/grammar.py).
export type { NodeType, TreeKind };
export type TextField = "text" | "note" | "tags";

export interface TreeNode {
  id: string;
  type: NodeType;
  parent: string | null;
  parents: string[];
  key: string;
  text: string;
  note: string;
  tags: string[];
  author: number | null;
  deleted: boolean;
  meta: Record<string, unknown>;
  field_seq: Record<string, number>;
  /** The text's Yjs document (base64); absent or "" = the seed of `text` (core/ytext.ts). */
  y?: string;
}

export interface CreateOp {
  kind: "create";
  id: string;
  type: NodeType;
  parent: string | null;
  key?: string;
  text?: string;
  note?: string;
  tags?: string[];
  /** Provenance (merges, imports); set by the server side, carried along by clients. */
  meta?: Record<string, unknown>;
}
export interface SetOp {
  kind: "set";
  id: string;
  field: TextField | "meta";
  value: string | string[] | Record<string, unknown>;
  /** For `text`: the server's diff as a Yjs update (logged ops only). */
  y?: string;
  /** For `text`: the text `value` was edited from (the server applies that edit: "Node text"). */
  base?: string;
  /** Logged ops only: the node's compacted text document, which replaces it (core/ytext.ts). */
  compact?: string;
  /** Undo only: apply while each named field group was last written at that seq (`stale`). */
  if_seq?: Record<string, number>;
}
/** A character-level edit of a node's text: a base64 Yjs update (docs/protocol.md). */
export interface TextOp {
  kind: "text";
  id: string;
  update: string;
  /** Logged ops only: the node's compacted text document, which replaces it (core/ytext.ts). */
  compact?: string;
}
export interface MoveOp {
  kind: "move";
  id: string;
  parent: string | null;
  key?: string;
  type?: NodeType;
  /** Undo only: apply while each named field group was last written at that seq (`stale`). */
  if_seq?: Record<string, number>;
}
export interface DeleteOp {
  kind: "delete";
  id: string;
  /** Undo only: apply while each named field group was last written at that seq (`stale`). */
  if_seq?: Record<string, number>;
}
export interface RestoreOp {
  kind: "restore";
  id: string;
  /** Undo only: apply while each named field group was last written at that seq (`stale`). */
  if_seq?: Record<string, number>;
}
export interface LinkOp {
  kind: "link" | "unlink";
  id: string;
  parent: string;
  /** Undo only: apply while each named field group was last written at that seq (`stale`). */
  if_seq?: Record<string, number>;
}
export type Op = CreateOp | SetOp | TextOp | MoveOp | DeleteOp | RestoreOp | LinkOp;

export interface User {
  id: number;
  /** The identifier (invites, forks, signing in). */
  username: string;
  /** How the person is shown: the name they gave, else the username (core/people.ts). */
  name: string;
}

/** One entry of the operation log as the server sends it. */
export interface LoggedOp {
  seq: number;
  client_id: string;
  n: number;
  op: Op;
  actor: number | null;
  overwrote?: number | null;
}

export type ServerMessage =
  | { type: "welcome"; user: User; role: string; conn: string | number }
  | { type: "snapshot"; seq: number; kind: TreeKind; nodes: TreeNode[] }
  | { type: "ops"; ops: LoggedOp[] }
  | ({ type: "op" } & LoggedOp)
  | { type: "ack"; n: number; seq: number; dup?: boolean }
  | { type: "nack"; n: number; code: string; message: string }
  | { type: "presence"; conn: string | number; user: User; node: string | null; editing: boolean; typing?: boolean }
  | { type: "presence_leave"; conn: string | number }
  | { type: "role"; role: string }
  | { type: "error"; code: string; message: string }
  | { type: "pong" };

export type ClientMessage =
  | { type: "hello"; client_id: string; since: number | null }
  | { type: "op"; n: number; op: Op }
  | { type: "sync"; since: number }
  | { type: "presence"; node: string | null; editing: boolean; typing?: boolean }
  | { type: "ping" };

/** A field group of one node, the unit of "pending local write" (protocol rule 4). */
export type Group =
  | "exists"
  | "text"
  | "note"
  | "tags"
  | "meta"
  | "position"
  | "deleted"
  | "parents";

export interface Change {
  id: string;
  group: Group;
}

/**
 * The server's op error codes (generated from trees/domain/errors.py), plus the client's own
 * "gone": an undo step whose text others have since changed or removed (core/undo.ts).
 */
export type ClientOpErrorCode = OpErrorCode | "gone";

export class OpError extends Error {
  constructor(
    public code: ClientOpErrorCode,
    message: string,
  ) {
    super(message);
  }
}
