/**
 * The node-type grammar of game trees and problem trees, shared by the state and the UI. The
 * table itself is the server's (generated from trees/domain/grammar.py into generated/rules.ts).
 */
import { NODE_TYPES, PARENTS } from "../generated/rules";
import type { NodeType, TreeKind } from "./types";

export interface TypeInfo {
  label: string;
  icon: string;
}

export const TYPE_INFO: Record<NodeType, TypeInfo> = {
  proposal: { label: "Proposal", icon: "◆" },
  critique: { label: "Critique", icon: "✕" },
  patch: { label: "Patch", icon: "✚" },
  problem: { label: "Problem", icon: "●" },
};

/** The node types of a tree of this kind, in the grammar's order. */
export function typesOf(kind: TreeKind): NodeType[] {
  return [...NODE_TYPES[kind]];
}

const PARENTS_OF: Record<TreeKind, Partial<Record<NodeType, readonly (NodeType | null)[]>>> = PARENTS;

/** May a node of type `child` sit under a parent of type `parent` (null = top level)? */
export function allowedUnder(kind: TreeKind, parent: NodeType | null, child: NodeType): boolean {
  return PARENTS_OF[kind][child]?.includes(parent) ?? false;
}

/**
 * The type a new child (or an indented node) gets under `parent`: the first of the kind's
 * types the grammar allows there (proposal at the top, critique under a proposal or patch,
 * patch under a critique).
 */
export function childTypeFor(kind: TreeKind, parent: NodeType | null): NodeType {
  const types = NODE_TYPES[kind];
  return types.find((t) => allowedUnder(kind, parent, t)) ?? types[0];
}

/**
 * The type a node must take to sit under `parent`: its own type if allowed, else the grammar's
 * child type. Null when even that would not fit its children's types.
 */
export function typeForMove(
  kind: TreeKind,
  parent: NodeType | null,
  current: NodeType,
  childTypes: Iterable<NodeType>,
): NodeType | null {
  const type = allowedUnder(kind, parent, current) ? current : childTypeFor(kind, parent);
  if (!allowedUnder(kind, parent, type)) return null;
  for (const c of childTypes) if (!allowedUnder(kind, type, c)) return null;
  return type;
}
