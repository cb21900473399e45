import { describe, expect, it } from "vitest";
import { givenName, personLabel, personName, titleWithName } from "../src/core/people";

describe("how a person is shown", () => {
  it("shows the name they gave, not the username made for them", () => {
    expect(personName({ username: "nora-455443", name: "Nora" })).toBe("Nora");
  });

  it("falls back to the username when there is no name (or a server that sends none)", () => {
    expect(personName({ username: "alice", name: "" })).toBe("alice");
    expect(personName({ username: "alice", name: "   " })).toBe("alice");
    expect(personName({ username: "alice" })).toBe("alice");
  });

  it("puts the username beside the name where it is the identifier (invites)", () => {
    expect(personLabel({ username: "nora-455443", name: "Nora" })).toBe("Nora (nora-455443)");
    expect(personLabel({ username: "alice", name: "alice" })).toBe("alice");
    expect(personLabel({ username: "alice" })).toBe("alice");
  });

  it("offers the name they gave to a form that asks for it, and nothing in place of a username", () => {
    expect(givenName({ username: "alice", name: "Alice Chen" })).toBe("Alice Chen");
    expect(givenName({ username: "alice", name: "alice" })).toBe("");
    expect(givenName({ username: "alice" })).toBe("");
  });
});

describe("titleWithName", () => {
  const paren = (t: string, n: string) => `${t} (${n})`;
  it("says a name once when the title already ends with it", () => {
    expect(titleWithName("Problem tree — Quinn", "Quinn", paren)).toBe("Problem tree — Quinn");
    expect(titleWithName("Problem tree — Priya O'Neil", "Priya O'Neil", (t, n) => `${t} · ${n}`)).toBe("Problem tree — Priya O'Neil");
  });
  it("puts the name beside a title that lacks it", () => {
    expect(titleWithName("Problem tree — Quinn", "Priya", paren)).toBe("Problem tree — Quinn (Priya)");
    expect(titleWithName("Quinnipiac risks", "Quinn", paren)).toBe("Quinnipiac risks (Quinn)");
    expect(titleWithName("My tree", "", paren)).toBe("My tree");
  });
});
