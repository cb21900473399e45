/**
 * The tag filter follows a rename made while the page was offline: the ops come with the
 * reconnect, the `tags` event naming the new tag never does (core/tag-follow.ts).
 */
import { describe, expect, it } from "vitest";
import { renamedTo, renameSeen, taggedWith, tagsNow } from "../src/core/tag-follow";
import type { Op } from "../src/core/types";
import { FakeClient, FakeServer, flushAll } from "./fakeserver";

const create = (id: string, tags: string[]): Op => ({ kind: "create", id, type: "problem", parent: null, key: `a${id}`, text: id, tags });
const setTags = (id: string, value: string[]): Op => ({ kind: "set", id, field: "tags", value });

/** Carol's page filtering on #hack, alice editing by hand, and the server's rename client. */
function offlineWhile(edit: (alice: FakeClient, renamer: FakeClient) => void, server = new FakeServer("problem")) {
  const carol = new FakeClient(server, "C", 3);
  const alice = new FakeClient(server, "A", 1);
  const renamer = new FakeClient(server, "R", 1);
  renamer.engine.clientId = "tags:1";
  for (const c of [carol, alice, renamer]) c.connect();
  flushAll(carol, alice, renamer);
  for (const op of [create("1", ["hack"]), create("2", ["hack", "reward"]), create("3", ["other"])]) alice.engine.submit(op);
  flushAll(alice, carol, renamer);
  const before = taggedWith(carol.engine.view!.nodes.values(), "hack");
  carol.disconnect();
  edit(alice, renamer);
  flushAll(alice, renamer);
  carol.connect();
  flushAll(carol, alice, renamer);
  return { before, now: tagsNow(carol.engine), carol };
}

describe("renamedTo", () => {
  it("follows a rename made while the page was offline to the new tag", () => {
    const { before, now, carol } = offlineWhile((_a, r) => {
      r.engine.submit(setTags("1", ["proxy-gaming"]));
      r.engine.submit(setTags("2", ["proxy-gaming", "reward"]));
    });
    expect(carol.engine.view!.get("1")!.tags).toEqual(["proxy-gaming"]);
    expect(renamedTo("hack", before, now)).toBe("proxy-gaming");
  });

  it("follows a merge into a tag every node already carried", () => {
    const before = new Map([
      ["1", ["hack", "shortcut"]],
      ["2", ["hack", "shortcut", "reward"]],
    ]);
    const now = (id: string) => ({ tags: id === "1" ? ["shortcut"] : ["shortcut", "reward"], by: "tags:7" });
    expect(renamedTo("hack", before, now)).toBe("shortcut");
  });

  it("does not follow a person who retagged the nodes by hand, and expects no event", () => {
    const { before, now } = offlineWhile((a) => {
      a.engine.submit(setTags("1", ["proxy-gaming"]));
      a.engine.submit(setTags("2", ["proxy-gaming", "reward"]));
    });
    expect(renamedTo("hack", before, now)).toBeNull();
    expect(renameSeen(before, now)).toBe(false);
  });

  it("does not follow when the nodes were deleted", () => {
    const { before, now } = offlineWhile((a) => {
      a.engine.submit({ kind: "delete", id: "1" });
      a.engine.submit({ kind: "delete", id: "2" });
    });
    expect(renamedTo("hack", before, now)).toBeNull();
  });

  it("does not follow when the reconnect came with a snapshot, which does not say who wrote", () => {
    const server = new FakeServer("problem");
    server.catchUpLimit = 0;
    const { before, now, carol } = offlineWhile((_a, r) => {
      r.engine.submit(setTags("1", ["proxy-gaming"]));
      r.engine.submit(setTags("2", ["proxy-gaming", "reward"]));
    }, server);
    expect(carol.engine.view!.get("1")!.tags).toEqual(["proxy-gaming"]);
    expect(renamedTo("hack", before, now)).toBeNull();
    expect(renameSeen(before, now)).toBe(false);
  });

  it("waits for the event when a rename's ops do not tell one new name", () => {
    const before = new Map([
      ["1", ["hack", "a"]],
      ["2", ["hack", "a"]],
    ]);
    const now = (id: string) => ({ tags: id === "1" ? ["b", "c"] : ["b", "c"], by: "tags:7" });
    expect(renamedTo("hack", before, now)).toBeNull();
    expect(renameSeen(before, now)).toBe(true);
  });
});
