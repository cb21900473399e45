/**
 * Where the tag filter's tag went when it vanished from the tree (ui/treepage-panels.ts).
 * A rename (POST /api/tags/rename/, docs/analysis.md) arrives as `set tags` ops sent by client
 * `tags:<user id>` and then a `tags` event naming the new tag; a page that was offline gets
 * the ops with its reconnect and never the event. What the page already knows often says
 * the new name anyway: the tags of the nodes that carried the old one, before and after.
 * DOM-free.
 */
import type { SyncEngine } from "./sync";
import type { TreeNode } from "./types";

/** The client id the server sends a rename's ops with (trees/actions/tags.py). */
export const RENAME_CLIENT = /^tags:\d+$/;

/** The live nodes carrying `tag`, with their tags: what `renamedTo` compares with later. */
export function taggedWith(nodes: Iterable<TreeNode>, tag: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!tag) return out;
  for (const n of nodes) if (!n.deleted && n.tags.includes(tag)) out.set(n.id, [...n.tags]);
  return out;
}

/** What the page knows of one node now: its tags and the client that last set them
 * ("" when unknown, e.g. loaded with a snapshot), or null once it is gone. */
export type TagsNow = (id: string) => { tags: readonly string[]; by: string } | null;

/** `TagsNow` from a sync engine's copy of the tree and its log of writes. */
export function tagsNow(engine: SyncEngine): TagsNow {
  return (id) => {
    const n = engine.view?.get(id);
    if (!n || n.deleted) return null;
    return { tags: n.tags, by: engine.lastWrite(id, "tags")?.clientId ?? "" };
  };
}

function common(lists: (readonly string[])[]): Set<string> {
  const [first, ...rest] = lists;
  return new Set((first ?? []).filter((t) => rest.every((l) => l.includes(t))));
}

/**
 * The tag `tag` was renamed to, when that can be told: every node that carried it (`before`,
 * from `taggedWith`) and still lives had its tags last set by a rename, and the tags they all
 * carry now hold exactly one they did not all carry before (or, for a merge into a tag they
 * all had, exactly one tag). Otherwise null: a person's own edit, a snapshot (who wrote is
 * unknown), or a change the page cannot read as one rename.
 */
export function renamedTo(tag: string, before: ReadonlyMap<string, readonly string[]>, now: TagsNow): string | null {
  const was: (readonly string[])[] = [];
  const is: (readonly string[])[] = [];
  for (const [id, tags] of before) {
    const n = now(id);
    if (!n) continue;
    if (!RENAME_CLIENT.test(n.by) || n.tags.includes(tag)) return null;
    was.push(tags);
    is.push(n.tags);
  }
  if (!is.length) return null;
  const after = common(is);
  const had = common(was);
  const added = [...after].filter((t) => !had.has(t));
  if (added.length === 1) return added[0];
  if (!added.length && after.size === 1) return [...after][0];
  return null;
}

/** Some node that carried the tag had its tags last set by a rename: its `tags` event, which
 * names the new tag, may still come (the ops come first). */
export function renameSeen(before: ReadonlyMap<string, readonly string[]>, now: TagsNow): boolean {
  for (const id of before.keys()) if (RENAME_CLIENT.test(now(id)?.by ?? "")) return true;
  return false;
}
