/**
 * Client core, DOM-free: one tree's nodes and the operations on them, applied with the same
 * rules as the server (docs/protocol.md). Siblings are kept ordered by (key, id).
 */
import { generateKeyBetween } from "fractional-indexing";
import * as Y from "yjs";
import { allowedUnder, typesOf } from "./grammar";
import {
  type Change,
  type Group,
  type NodeType,
  type Op,
  OpError,
  type TreeKind,
  type TreeNode,
} from "./types";
import { checkText, longerThan, normTags } from "./node-rules";
import { fromBase64, loadDoc, seedUpdate, stateOf, textOf } from "./ytext";
import { LIMITS } from "../generated/rules";

// The server's size limits (generated from trees/domain/limits.py) and its rules for text
// and tags, re-exported for the modules that import them from here.
export { LIMITS } from "../generated/rules";
export { longerThan, normTag, normTags } from "./node-rules";
const ROOT = "";
const KEY_RE = /^[0-9A-Za-z]{1,128}$/;

export function compareNodes(a: TreeNode, b: TreeNode): number {
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function cloneNode(n: TreeNode): TreeNode {
  return {
    ...n,
    parents: [...n.parents],
    tags: [...n.tags],
    meta: { ...n.meta },
    field_seq: { ...n.field_seq },
  };
}

export class TreeState {
  readonly nodes = new Map<string, TreeNode>();
  /** parent id ("" for top level) -> child ids ordered by (key, id), tombstones included. */
  private readonly kids = new Map<string, string[]>();
  /** Extra-parent id -> ids of nodes linked under it. */
  private readonly linked = new Map<string, Set<string>>();
  /** Local marks for deletes not yet sequenced (negative, so they never equal a seq). */
  private localMark = 0;
  /** node id -> its text's Y document, loaded on first use from the node's `y` (or seed). */
  private readonly ydocs = new Map<string, Y.Doc>();

  constructor(
    public kind: TreeKind,
    nodes: Iterable<TreeNode> = [],
  ) {
    for (const n of nodes) {
      const c = cloneNode(n);
      // The server's snapshot names the delete that took a node `deleted_seq`.
      const ds = (n as { deleted_seq?: number }).deleted_seq;
      if (typeof ds === "number") c.field_seq.deleted = ds;
      this.nodes.set(n.id, c);
    }
    for (const n of this.nodes.values()) {
      this.kidList(n.parent).push(n.id);
      for (const p of n.parents) this.linkIndex(p).add(n.id);
    }
    for (const list of this.kids.values()) list.sort((a, b) => this.cmpIds(a, b));
  }

  clone(): TreeState {
    const copy = new TreeState(this.kind, this.nodes.values());
    // A loaded document is the truth for its node (`y` is not rewritten on every keystroke).
    for (const [id, doc] of this.ydocs) {
      const n = copy.nodes.get(id);
      if (n) n.y = stateOf(doc);
    }
    return copy;
  }

  /** The node's text state as base64 (its loaded document, else the stored `y`). */
  textState(id: string): string | undefined {
    const doc = this.ydocs.get(id);
    return doc ? stateOf(doc) : this.nodes.get(id)?.y;
  }

  get(id: string): TreeNode | undefined {
    return this.nodes.get(id);
  }

  /** Ordered children ids (tombstones included) of a node, or of the top level for null. */
  childIds(parent: string | null): readonly string[] {
    return this.kids.get(parent ?? ROOT) ?? [];
  }

  liveChildren(parent: string | null): TreeNode[] {
    const out: TreeNode[] = [];
    for (const id of this.childIds(parent)) {
      const n = this.nodes.get(id)!;
      if (!n.deleted) out.push(n);
    }
    return out;
  }

  /** Live nodes that list `id` among their extra parents. */
  linkedChildren(id: string): TreeNode[] {
    const s = this.linked.get(id);
    if (!s) return [];
    return [...s].map((c) => this.nodes.get(c)!).filter((n) => n && !n.deleted);
  }

  liveCount(): number {
    let c = 0;
    for (const n of this.nodes.values()) if (!n.deleted) c++;
    return c;
  }

  /** True if `anc` is `id` or one of its ancestors through primary or extra parents. */
  isAncestorOrSelf(anc: string, id: string | null): boolean {
    const seen = new Set<string>();
    const stack: string[] = id === null ? [] : [id];
    while (stack.length) {
      const cur = stack.pop()!;
      if (cur === anc) return true;
      if (seen.has(cur)) continue;
      seen.add(cur);
      const n = this.nodes.get(cur);
      if (!n) continue;
      if (n.parent !== null) stack.push(n.parent);
      for (const p of n.parents) stack.push(p);
    }
    return false;
  }

  depth(id: string): number {
    let d = 0;
    let n = this.nodes.get(id);
    const seen = new Set<string>();
    while (n && n.parent !== null && !seen.has(n.id)) {
      seen.add(n.id);
      d++;
      n = this.nodes.get(n.parent);
    }
    return d;
  }

  /** A key between two live neighbours, for inserting at `index` among live children. */
  keyAt(parent: string | null, index: number, exclude?: string): string {
    const live = this.liveChildren(parent).filter((n) => n.id !== exclude);
    const before = index > 0 ? live[index - 1].key : null;
    const after = index < live.length ? live[index].key : null;
    return safeKeyBetween(before, after);
  }

  keyAfter(parent: string | null, sibling: string | null, exclude?: string): string {
    const live = this.liveChildren(parent).filter((n) => n.id !== exclude);
    const i = sibling === null ? -1 : live.findIndex((n) => n.id === sibling);
    return this.keyAt(parent, i + 1, exclude);
  }

  /** Validate and apply one op. `seq` is the server seq (undefined for a local, optimistic op). */
  apply(op: Op, seq?: number): Change[] {
    // The server's precondition of an undo (only checked with a seq: the server's order).
    if (seq !== undefined && op.kind !== "create" && op.kind !== "text" && op.if_seq) {
      const node = this.nodes.get(op.id);
      if (!node) throw new OpError("not_found", "no such node");
      for (const [group, s] of Object.entries(op.if_seq))
        if ((node.field_seq[group] ?? 0) !== s) throw new OpError("stale", `the node's ${group} was changed since`);
    }
    switch (op.kind) {
      case "create":
        return this.create(op, seq);
      case "set":
        if (op.field === "text" && typeof op.y === "string") return this.text(op.id, op.y, seq, op.value, op.compact);
        return this.set(op.id, op.field, op.value, seq);
      case "text":
        return this.text(op.id, op.update, seq, undefined, op.compact);
      case "move":
        return this.move(op.id, op.parent, op.key, op.type, seq);
      case "delete":
        return this.del(op.id, seq);
      case "restore":
        return this.restore(op.id, seq);
      case "link":
      case "unlink":
        return this.link(op.kind === "link", op.id, op.parent, seq);
      default:
        throw new OpError("invalid", "unknown kind");
    }
  }

  // ---------------------------------------------------------------- operations

  private create(
    op: Extract<Op, { kind: "create" }>,
    seq: number | undefined,
  ): Change[] {
    if (typeof op.id !== "string" || !op.id) throw new OpError("invalid", "id required");
    if (this.nodes.has(op.id)) throw new OpError("conflict", "node exists");
    const parent = this.parentNode(op.parent);
    this.checkType(parent?.type ?? null, op.type);
    if (this.nodes.size >= LIMITS.nodes) throw new OpError("too_large", "too many nodes");
    const text = op.text ?? "";
    const note = op.note ?? "";
    const tags = normTags(op.tags ?? []);
    checkText(text, note, tags);
    const key = this.freeKey(op.parent, op.key, op.id);
    const s = seq ?? 0;
    const node: TreeNode = {
      id: op.id,
      type: op.type,
      parent: op.parent,
      parents: [],
      key,
      text,
      note,
      tags: [...tags],
      author: null,
      deleted: false,
      meta: op.meta && typeof op.meta === "object" ? { ...op.meta } : {},
      // As on the server: only the fields the creator wrote count as written.
      field_seq: {
        text: op.text !== undefined ? s : 0,
        note: op.note !== undefined ? s : 0,
        tags: op.tags !== undefined ? s : 0,
        position: s,
        deleted: 0,
      },
    };
    this.insertNode(node);
    return [{ id: op.id, group: "exists" }];
  }

  /** The Y document of a node's text (loaded from `y`, or the seed of its text). */
  textDoc(id: string): Y.Doc {
    let doc = this.ydocs.get(id);
    if (!doc) {
      const n = this.nodes.get(id);
      if (!n) throw new OpError("not_found", "no such node");
      doc = loadDoc(n.y, n.text);
      this.ydocs.set(id, doc);
    }
    return doc;
  }

  /** After a change made directly to `textDoc(id)`: copy its text into the node. */
  syncText(id: string): void {
    const n = this.nodes.get(id);
    const doc = this.ydocs.get(id);
    if (!n || !doc) return;
    n.text = textOf(doc);
  }

  /** Merge a Yjs update into a node's text whatever its state (the sync engine mirrors). */
  mergeText(id: string, update: Uint8Array): boolean {
    if (!this.nodes.has(id)) return false;
    const doc = this.textDoc(id);
    const before = textOf(doc);
    Y.applyUpdate(doc, update, "remote");
    this.syncText(id);
    return textOf(doc) !== before;
  }

  /** Replace a node's text document with a copy of `src`'s (drops local unconfirmed text). */
  resetText(src: TreeState, id: string): void {
    const from = src.nodes.get(id);
    const to = this.nodes.get(id);
    if (!from || !to) return;
    this.ydocs.delete(id);
    to.text = from.text;
    to.y = src.textState(id);
  }

  /**
   * Replace a node's text document by the server's compaction of it (`compact` of a logged op):
   * the same text in a fresh document (docs/protocol.md, "Node text").
   */
  compactText(id: string, compact: string): void {
    const node = this.nodes.get(id);
    if (!node) return;
    const doc = loadDoc(compact, "");
    this.ydocs.set(id, doc);
    node.y = compact;
    node.text = textOf(doc);
  }

  private text(id: string, update: string, seq: number | undefined, expect?: unknown, compact?: string): Change[] {
    const node = this.live(id);
    if (typeof update !== "string" || !update) throw new OpError("invalid", "update must be base64");
    let bytes: Uint8Array;
    try {
      bytes = fromBase64(update);
    } catch {
      throw new OpError("invalid", "update must be base64");
    }
    const doc = this.textDoc(id);
    if (seq === undefined) {
      // A local op is checked on a copy first (a Y document cannot take an update back);
      // logged ops were checked by the server.
      const trial = loadDoc(stateOf(doc), "");
      try {
        Y.applyUpdate(trial, bytes);
      } catch {
        throw new OpError("invalid", "the text update cannot be decoded");
      }
      const after = textOf(trial);
      if (longerThan(after, LIMITS.text)) throw new OpError("too_large", "text is too long");
      if (expect !== undefined && after !== expect) throw new OpError("invalid", "y does not give value");
    }
    Y.applyUpdate(doc, bytes, "remote");
    node.text = textOf(doc);
    if (seq !== undefined && typeof compact === "string") this.compactText(id, compact);
    if (seq !== undefined) node.field_seq.text = seq;
    return [{ id, group: "text" }];
  }

  private set(id: string, field: string, value: unknown, seq: number | undefined): Change[] {
    const node = this.live(id);
    if (field === "text" || field === "note") {
      if (typeof value !== "string") throw new OpError("invalid", "value must be a string");
      if (field === "text") checkText(value, "", []);
      else checkText("", value, []);
      node[field] = value;
      if (field === "text") {
        // A whole-text write without the server's diff (logged before text merging): the
        // text starts over as the seed of the value, as on the server.
        node.y = "";
        this.ydocs.delete(id);
      }
    } else if (field === "tags") {
      if (!Array.isArray(value) || value.some((t) => typeof t !== "string"))
        throw new OpError("invalid", "tags must be strings");
      const tags = normTags(value as string[]);
      checkText("", "", tags);
      node.tags = tags;
    } else if (field === "meta") {
      if (value === null || typeof value !== "object" || Array.isArray(value))
        throw new OpError("invalid", "meta must be an object");
      node.meta = { ...(value as Record<string, unknown>) };
    } else {
      throw new OpError("invalid", "unknown field");
    }
    if (seq !== undefined) node.field_seq[field] = seq;
    return [{ id, group: field }];
  }

  private move(
    id: string,
    parentId: string | null,
    key: string | undefined,
    type: NodeType | undefined,
    seq: number | undefined,
  ): Change[] {
    const node = this.live(id);
    const parent = this.parentNode(parentId);
    if (parentId !== null && this.isAncestorOrSelf(id, parentId))
      throw new OpError("cycle", "a node cannot move under itself");
    const newType = type ?? node.type;
    this.checkType(parent?.type ?? null, newType);
    if (newType !== node.type) {
      for (const c of this.liveChildren(id)) this.checkType(newType, c.type);
      for (const c of this.linkedChildren(id)) this.checkType(newType, c.type);
    }
    const newKey = this.freeKey(parentId, key, id);
    this.reposition(node, parentId, newKey, newType);
    if (seq !== undefined) node.field_seq.position = seq;
    if (parentId !== null && node.parents.includes(parentId)) {
      // Moving under one of its extra parents promotes that link to the primary edge (as the
      // server does: otherwise the node would show twice under that parent here only).
      node.parents = node.parents.filter((p) => p !== parentId);
      this.linked.get(parentId)?.delete(id);
      return [
        { id, group: "position" },
        { id, group: "parents" },
      ];
    }
    return [{ id, group: "position" }];
  }

  private del(id: string, seq: number | undefined): Change[] {
    const root = this.live(id);
    const mark = seq ?? --this.localMark;
    const changes: Change[] = [];
    const stack = [root.id];
    while (stack.length) {
      const cur = this.nodes.get(stack.pop()!)!;
      if (cur.deleted) continue;
      cur.deleted = true;
      cur.field_seq.deleted = mark;
      changes.push({ id: cur.id, group: "deleted" });
      for (const c of this.childIds(cur.id)) stack.push(c);
    }
    return changes;
  }

  private restore(id: string, seq: number | undefined): Change[] {
    const root = this.nodes.get(id);
    if (!root) throw new OpError("not_found", "no such node");
    if (!root.deleted) throw new OpError("invalid", "node is not deleted");
    if (root.parent !== null && this.nodes.get(root.parent)?.deleted)
      throw new OpError("deleted", "the parent is deleted");
    const mark = root.field_seq.deleted;
    const s = seq ?? 0;
    const changes: Change[] = [];
    const stack = [root.id];
    while (stack.length) {
      const cur = this.nodes.get(stack.pop()!)!;
      if (!cur.deleted || cur.field_seq.deleted !== mark) continue;
      cur.deleted = false;
      cur.field_seq.deleted = s;
      changes.push({ id: cur.id, group: "deleted" });
      for (const c of this.childIds(cur.id)) stack.push(c);
    }
    return changes;
  }

  private link(add: boolean, id: string, parentId: string, seq: number | undefined): Change[] {
    if (this.kind !== "problem") throw new OpError("invalid", "links are for problem trees");
    const node = this.live(id);
    const parent = this.parentNode(parentId);
    if (!parent) throw new OpError("invalid", "parent required");
    if (add) {
      if (parentId === node.parent || node.parents.includes(parentId))
        throw new OpError("invalid", "already linked");
      if (this.isAncestorOrSelf(id, parentId)) throw new OpError("cycle", "link makes a cycle");
      this.checkType(parent.type, node.type);
      node.parents = [...node.parents, parentId];
      this.linkIndex(parentId).add(id);
    } else {
      if (!node.parents.includes(parentId)) throw new OpError("invalid", "not linked");
      node.parents = node.parents.filter((p) => p !== parentId);
      this.linked.get(parentId)?.delete(id);
    }
    if (seq !== undefined) node.field_seq.position = seq;
    return [{ id, group: "parents" }];
  }

  // ---------------------------------------------------------------- raw copies (sync engine)

  /** Make this state's `group` of node `id` equal to `src`'s. Returns true if anything changed. */
  copyGroup(src: TreeState, id: string, group: Group): boolean {
    const from = src.nodes.get(id);
    const to = this.nodes.get(id);
    if (group === "exists") {
      if (from && !to) {
        const node = cloneNode(from);
        node.y = src.textState(id);
        this.insertNode(node);
        return true;
      }
      if (!from && to) {
        for (const c of [...this.childIds(id)]) this.removeNode(this.nodes.get(c)!);
        this.removeNode(to);
        return true;
      }
      // Both exist: the caller copies the other groups it wants (see SyncEngine.mirror).
      return false;
    }
    if (!from || !to) return false;
    switch (group) {
      case "text": {
        // Merged, never replaced: the view's document may hold this person's unconfirmed
        // typing, and merging the confirmed state into it keeps that.
        const doc = this.ydocs.get(id);
        if (!doc) {
          const y = src.textState(id);
          if (to.text === from.text && (to.y ?? "") === (y ?? "")) return false;
          to.text = from.text;
          to.y = y;
          break;
        }
        const before = to.text;
        const sdoc = src.ydocs.get(id);
        Y.applyUpdate(doc, sdoc ? Y.encodeStateAsUpdate(sdoc) : from.y ? fromBase64(from.y) : seedUpdate(from.text), "remote");
        this.syncText(id);
        if (to.text === before) return false;
        break;
      }
      case "note":
        if (to[group] === from[group]) return false;
        to[group] = from[group];
        break;
      case "tags":
        if (sameList(to.tags, from.tags)) return false;
        to.tags = [...from.tags];
        break;
      case "meta":
        if (JSON.stringify(to.meta) === JSON.stringify(from.meta)) return false;
        to.meta = { ...from.meta };
        break;
      case "position":
        if (to.parent === from.parent && to.key === from.key && to.type === from.type) return false;
        this.reposition(to, from.parent, from.key, from.type);
        break;
      case "deleted":
        if (to.deleted === from.deleted && to.field_seq.deleted === from.field_seq.deleted)
          return false;
        to.deleted = from.deleted;
        break;
      case "parents":
        if (sameList(to.parents, from.parents)) return false;
        for (const p of to.parents) this.linked.get(p)?.delete(id);
        to.parents = [...from.parents];
        for (const p of to.parents) this.linkIndex(p).add(id);
        break;
    }
    const f = group === "parents" ? "position" : group;
    to.field_seq[f] = from.field_seq[f];
    return true;
  }

  // ---------------------------------------------------------------- helpers

  private live(id: string): TreeNode {
    const n = this.nodes.get(id);
    if (!n) throw new OpError("not_found", "no such node");
    if (n.deleted) throw new OpError("deleted", "the node is deleted");
    return n;
  }

  private parentNode(id: string | null): TreeNode | null {
    if (id === null) return null;
    const p = this.nodes.get(id);
    if (!p) throw new OpError("not_found", "no such parent");
    if (p.deleted) throw new OpError("deleted", "the parent is deleted");
    return p;
  }

  private checkType(parent: NodeType | null, child: NodeType): void {
    // As on the server: a type the tree's kind does not have is a malformed op, not a place.
    if (!typesOf(this.kind).includes(child))
      throw new OpError("invalid", `type must be one of ${typesOf(this.kind).join(", ")} in a ${this.kind} tree`);
    if (!allowedUnder(this.kind, parent, child))
      throw new OpError("bad_parent_type", `a ${child} cannot go under ${parent ?? "the top level"}`);
  }

  /** The key the server would store: the requested one, made free, or the last position. */
  private freeKey(parent: string | null, key: string | undefined, self: string): string {
    const sibs = this.childIds(parent)
      .filter((c) => c !== self)
      .map((c) => this.nodes.get(c)!);
    if (key === undefined) {
      const last = sibs.length ? sibs[sibs.length - 1].key : null;
      return safeKeyBetween(last, null);
    }
    if (typeof key !== "string" || !KEY_RE.test(key)) throw new OpError("invalid", "bad key");
    let k = key;
    for (;;) {
      const i = sibs.findIndex((s) => s.key === k);
      if (i < 0) return k;
      const next = sibs.slice(i + 1).find((s) => s.key > k);
      k = safeKeyBetween(k, next ? next.key : null);
    }
  }

  private cmpIds(a: string, b: string): number {
    return compareNodes(this.nodes.get(a)!, this.nodes.get(b)!);
  }

  private kidList(parent: string | null): string[] {
    const k = parent ?? ROOT;
    let list = this.kids.get(k);
    if (!list) {
      list = [];
      this.kids.set(k, list);
    }
    return list;
  }

  private linkIndex(parent: string): Set<string> {
    let s = this.linked.get(parent);
    if (!s) {
      s = new Set();
      this.linked.set(parent, s);
    }
    return s;
  }

  private insertSorted(node: TreeNode): void {
    const list = this.kidList(node.parent);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareNodes(this.nodes.get(list[mid])!, node) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, node.id);
  }

  private unlinkSorted(node: TreeNode): void {
    const list = this.kids.get(node.parent ?? ROOT);
    if (!list) return;
    const i = list.indexOf(node.id);
    if (i >= 0) list.splice(i, 1);
  }

  private insertNode(node: TreeNode): void {
    this.nodes.set(node.id, node);
    this.insertSorted(node);
    for (const p of node.parents) this.linkIndex(p).add(node.id);
  }

  private removeNode(node: TreeNode): void {
    this.ydocs.delete(node.id);
    this.unlinkSorted(node);
    for (const p of node.parents) this.linked.get(p)?.delete(node.id);
    this.nodes.delete(node.id);
  }

  private reposition(node: TreeNode, parent: string | null, key: string, type: NodeType): void {
    this.unlinkSorted(node);
    node.parent = parent;
    node.key = key;
    node.type = type;
    this.insertSorted(node);
  }
}

export function safeKeyBetween(a: string | null, b: string | null): string {
  if (a !== null && b !== null && a >= b) return generateKeyBetween(a, null);
  return generateKeyBetween(a, b);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
