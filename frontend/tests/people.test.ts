import { describe, expect, it } from "vitest";
import { givenName, personLabel, personName } from "../src/core/people";

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
