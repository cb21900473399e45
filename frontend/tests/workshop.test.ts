import { describe, expect, it } from "vitest";
import { expiryFor, linkState } from "../src/ui/workshop/sharelinks";
import { clock } from "../src/ui/workshop/util";
import { spacedCode } from "../src/ui/workshop/wsapi";

describe("workshop helpers", () => {
  it("splits a six-letter code in two halves to read aloud", () => {
    expect(spacedCode("ABCDEF")).toBe("ABC DEF");
    expect(spacedCode("ABCD")).toBe("ABCD");
  });

  it("gives a share link's expiry from the chosen preset or date", () => {
    const now = Date.parse("2026-12-07T02:00:00Z");
    expect(expiryFor("never", "", now)).toBeNull();
    expect(expiryFor("1h", "", now)).toBe("2026-12-07T03:00:00.000Z");
    expect(expiryFor("7d", "", now)).toBe("2026-12-14T02:00:00.000Z");
    expect(expiryFor("date", "", now)).toBeNull();
    expect(expiryFor("date", "2026-12-24T10:00Z", now)).toBe("2026-12-24T10:00:00.000Z");
  });

  it("tells an active link from a revoked or expired one", () => {
    const now = Date.parse("2026-12-07T02:00:00Z");
    const base = { id: 1, token: "t", role: "editor" as const, created_at: "", expires_at: null, revoked_at: null };
    expect(linkState(base, now)).toBe("active");
    expect(linkState({ ...base, revoked_at: "2026-12-07T01:00:00Z" }, now)).toBe("revoked");
    expect(linkState({ ...base, expires_at: "2026-12-07T01:59:59Z" }, now)).toBe("expired");
    expect(linkState({ ...base, expires_at: "2026-12-07T02:00:01Z" }, now)).toBe("active");
  });

  it("shows the time left as mm:ss, rounding up, never below zero", () => {
    expect(clock(900_000)).toBe("15:00");
    expect(clock(61_001)).toBe("01:02");
    expect(clock(-5)).toBe("00:00");
    expect(clock(3_725_000)).toBe("1:02:05");
  });
});
