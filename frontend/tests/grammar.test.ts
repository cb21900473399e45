import { describe, expect, it } from "vitest";
import { allowedUnder, childTypeFor, typeForMove } from "../src/core/grammar";

describe("grammar", () => {
  it("follows proposal -> critique -> patch -> critique", () => {
    expect(childTypeFor("game", null)).toBe("proposal");
    expect(childTypeFor("game", "proposal")).toBe("critique");
    expect(childTypeFor("game", "critique")).toBe("patch");
    expect(childTypeFor("game", "patch")).toBe("critique");
    expect(childTypeFor("problem", "problem")).toBe("problem");
    expect(allowedUnder("game", "patch", "critique")).toBe(true);
    expect(allowedUnder("game", "proposal", "patch")).toBe(false);
    expect(allowedUnder("problem", null, "problem")).toBe(true);
  });

  it("retypes a moved node when its children still fit", () => {
    // Tab a proposal under another proposal: it becomes a critique (no children)
    expect(typeForMove("game", "proposal", "proposal", [])).toBe("critique");
    // Outdent a patch (with critique children) to sit under a proposal: needs critique type,
    // but critiques cannot sit under a critique
    expect(typeForMove("game", "proposal", "patch", ["critique"])).toBeNull();
    // Outdent a critique to the top level: becomes a proposal, its patch children do not fit
    expect(typeForMove("game", null, "critique", ["patch"])).toBeNull();
    expect(typeForMove("game", null, "critique", [])).toBe("proposal");
    // A critique moved under a patch keeps its type
    expect(typeForMove("game", "patch", "critique", ["patch"])).toBe("critique");
  });
});
