/**
 * Client core, DOM-free: what the sync engine (core/sync.ts) and its pages share: its timing
 * constants, the shapes it reports (pending ops, replaced writes, conflicts, presence) and the
 * hooks a page gives it.
 */
import type { Change, ClientMessage, NodeType, Op, TreeKind, TreeNode, User } from "./types";

export const RESEND_MS = 5000;
export const SYNC_RETRY_MS = 2000;
/** A replaced write only counts as "concurrent" if the other write came this soon after. */
export const REPLACED_WINDOW_MS = 15000;

export interface PendingOp {
  n: number;
  op: Op;
  groups: Change[];
  sentAt: number | null;
  ackSeq: number | null;
  /** A `text` op: the node's text as it made it (core/sync-text.ts; kept in the outbox). */
  text?: string;
  /** Taken over from an earlier page's outbox (its `text` was made on that page's document). */
  adopted?: boolean;
  /**
   * Sent before the latest hello (or by an earlier page): the server may have applied it
   * without its answer arriving, so what it carried may be in the next snapshot already.
   */
  doubt?: boolean;
}

export interface ReplacedInfo {
  id: string;
  field: string;
  mine: unknown;
  theirs: unknown;
  actor: number | null;
  seq: number;
}

/**
 * Unconfirmed typing in one node as text: `base`, the server's text it was typed on, became
 * `local`; `then`: typed after that on the server's text of that moment (re-applied second).
 */
export interface Typing {
  base: string;
  local: string;
  then?: { base: string; local: string };
}

/**
 * A structural conflict that could not merge, told to the people involved (each toast names
 * the node and offers a way back). `edit-deleted`: someone deleted a node this person was
 * typing in (`text`: what they had typed). `too-long`: typing re-applied after a compaction
 * would make the text too long (`text`: what they had typed). `deleted-while-editing`: this person deleted a node
 * someone else was editing (`node`: the one they were in, the deleted node or one below it). `move`: two moves of one node close together; `mineWon` says
 * whose stands, `back` is where the other one had put it.
 */
export interface ConflictInfo {
  kind: "edit-deleted" | "too-long" | "deleted-while-editing" | "move";
  id: string;
  actor: number | null;
  text?: string;
  node?: string;
  mineWon?: boolean;
  back?: { parent: string | null; key: string; type: NodeType };
}

/** Two moves of one node this close together (in ms) are told as a conflict. */
export const MOVE_CONFLICT_MS = 5000;

export interface PresenceInfo {
  conn: string;
  user: User;
  node: string | null;
  editing: boolean;
  /** Keys were pressed in `node` in the last few seconds. */
  typing: boolean;
}

export interface SyncHooks {
  /** Send one message; return false when there is no open connection. */
  send(msg: ClientMessage): boolean;
  /** The whole tree changed (first snapshot or a resync): re-render everything. */
  onReset?(): void;
  /** Some node groups of the view changed. */
  onChanges?(changes: Change[], remote: boolean): void;
  onReject?(op: Op, code: string, message: string): void;
  onReplaced?(info: ReplacedInfo): void;
  /** Someone else's delete of `id` (with its subtree) is about to be applied. */
  onRemoteDelete?(id: string, actor: number | null): void;
  onConflict?(info: ConflictInfo): void;
  onPresence?(all: Map<string, PresenceInfo>): void;
  /** The hello was answered (`joined` is already true: the socket may carry presence). */
  onWelcome?(user: User, role: string, conn: string): void;
  /**
   * A socket joined the tree's broadcasts (its first welcome; the server joins the group
   * before it answers the hello): once per connection, reconnections included. What was
   * broadcast before, while the page had no socket, only a fresh read shows (the ops are
   * caught up by the hello, other things such as the review queue are not).
   */
  onJoined?(): void;
  onError?(code: string, message: string): void;
  onRole?(role: string): void;
  /**
   * Fetch the whole tree over HTTP (faster than a websocket snapshot for big trees, and not
   * subject to the socket's message size limit). Without it, a resync asks for a snapshot.
   */
  fetchSnapshot?(): Promise<{ seq: number; kind: TreeKind; nodes: TreeNode[] }>;
  onPendingChange?(count: number): void;
  /**
   * A write of node `id`'s note reached the log (`mine`: this client's): `note` is the server's
   * note after it. Called for every such op in log order, also while this client's own write
   * of the note keeps the view's note locked, so a draft can merge others' writes at once.
   */
  onNote?(id: string, note: string, mine: boolean): void;
  now?(): number;
  /**
   * Run `flush` soon (text updates typed in one task are sent together); default: a microtask,
   * so every keystroke leaves at once.
   */
  schedule?(flush: () => void): void;
}
