/** The node-type grammar of game trees and problem trees, shared by the state and the UI. */
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

export function typesOf(kind: TreeKind): NodeType[] {
  return kind === "game" ? ["proposal", "critique", "patch"] : ["problem"];
}

/** May a node of type `child` sit under a parent of type `parent` (null = top level)? */
export function allowedUnder(kind: TreeKind, parent: NodeType | null, child: NodeType): boolean {
  if (kind === "problem") return child === "problem" && (parent === null || parent === "problem");
  switch (child) {
    case "proposal":
      return parent === null;
    case "critique":
      return parent === "proposal" || parent === "patch";
    case "patch":
      return parent === "critique";
    default:
      return false;
  }
}

/** The type a new child (or an indented node) gets under `parent`. */
export function childTypeFor(kind: TreeKind, parent: NodeType | null): NodeType {
  if (kind === "problem") return "problem";
  if (parent === null) return "proposal";
  return parent === "critique" ? "patch" : "critique";
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
