import { describe, expect, it } from "vitest";
import { normTag, TreeState } from "../src/core/state";
import { OpError } from "../src/core/types";
import spellings from "./tag_spellings.json";

// The same table is read by tests/domain/test_domain_tags.py: client and server agree.
describe("a tag's one spelling", () => {
  it.each(spellings as [string, string][])("%j is %j", (raw, want) => {
    expect(normTag(raw)).toBe(want);
  });

  it("is what an applied op stores, spellings of one tag collapsed", () => {
    const s = new TreeState("game");
    s.apply({ kind: "create", id: "p", type: "proposal", parent: null, key: "a0", tags: ["#Goodhart", "goodhart"] }, 1);
    expect(s.get("p")!.tags).toEqual(["goodhart"]);
    s.apply({ kind: "set", id: "p", field: "tags", value: ["Scalable oversight", "scalable_oversight", "#Goodhart"] }, 2);
    expect(s.get("p")!.tags).toEqual(["scalable-oversight", "goodhart"]);
    expect(() => s.apply({ kind: "set", id: "p", field: "tags", value: ["#"] }, 3)).toThrow(OpError);
  });
});
