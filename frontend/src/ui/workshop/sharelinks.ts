/**
 * A tree's share links (owners): make one with a role (editor/viewer) and an optional expiry,
 * copy it, revoke it. Revoking stops new people; members it let in stay (docs/security.md).
 */
import { h, on, toast } from "../dom";
import "./workshop.css";
import { shareApi, shareUrl, type ShareLink } from "./wsapi";
import { copyButton, showError } from "./util";

const EXPIRIES: [string, string, number][] = [
  ["never", "No expiry", 0],
  ["1h", "In 1 hour", 3600e3],
  ["1d", "In 1 day", 86400e3],
  ["7d", "In 7 days", 7 * 86400e3],
  ["date", "On a date…", 0],
];

/** When a link made now with expiry choice `choice` (and `date` for "On a date…") expires. */
export function expiryFor(choice: string, date: string, now = Date.now()): string | null {
  if (choice === "date") return date ? new Date(date).toISOString() : null;
  const ms = EXPIRIES.find(([v]) => v === choice)?.[2] ?? 0;
  return ms ? new Date(now + ms).toISOString() : null;
}

export function linkState(link: ShareLink, now = Date.now()): "active" | "revoked" | "expired" {
  if (link.revoked_at) return "revoked";
  if (link.expires_at && Date.parse(link.expires_at) <= now) return "expired";
  return "active";
}

export function shareLinksPanel(treeId: number, treeTitle: string): HTMLElement {
  const uid = `share-${treeId}`;
  const role = h(
    "select",
    { id: `${uid}-role`, name: "role" },
    h("option", { value: "editor", text: "can edit" }),
    h("option", { value: "viewer", text: "can view" }),
  );
  const expiry = h("select", { id: `${uid}-expiry`, name: "expiry" }, ...EXPIRIES.map(([v, t]) => h("option", { value: v, text: t })));
  const date = h("input", { type: "datetime-local", id: `${uid}-date`, "aria-label": "Expiry date and time", hidden: true });
  on(expiry, "change", () => {
    date.hidden = expiry.value !== "date";
    if (!date.hidden) date.focus();
  });
  const make = h("button", { type: "submit", class: "primary", text: "Make a link" });
  const form = h(
    "form",
    { class: "share-create" },
    h("span", { class: "inline" }, h("label", { for: role.id, text: "Anyone with the link" }), role),
    h("span", { class: "inline" }, h("label", { for: expiry.id, text: "Expires" }), expiry),
    date,
    make,
  );
  const list = h("ul", { class: "plain share-links", "aria-label": `Share links of ${treeTitle}` });
  const box = h("section", { class: "share-panel", "aria-label": "Share links" }, h("h3", { text: "Share links" }), form, list);

  const render = (links: ShareLink[]) => {
    const shown = links.filter((l) => linkState(l) === "active");
    const old = links.length - shown.length;
    list.replaceChildren(
      ...shown.map((l) => row(l)),
      ...(shown.length ? [] : [h("li", { class: "muted small", text: "No active share links." })]),
      ...(old ? [h("li", { class: "muted small", text: `${old} revoked or expired.` })] : []),
    );
  };
  const row = (l: ShareLink): HTMLElement => {
    const url = shareUrl(l.token);
    const input = h("input", { readonly: true, value: url, class: "link-field", "aria-label": `Share link (${l.role})` });
    on(input, "focus", () => input.select());
    const revoke = h("button", { type: "button", class: "subtle danger", text: "Revoke", "aria-label": `Revoke the ${l.role} link` });
    on(revoke, "click", async () => {
      revoke.disabled = true;
      try {
        await shareApi.revoke(treeId, l.id);
        toast("Link revoked: it lets no one else in. People it let in stay members.");
        await load();
      } catch (x) {
        revoke.disabled = false;
        showError(x);
      }
    });
    const meta = `${l.role === "editor" ? "can edit" : "can view"} · ${l.expires_at ? `expires ${new Date(l.expires_at).toLocaleString()}` : "no expiry"}`;
    return h(
      "li",
      { class: "share-link", "data-link": l.id, "data-role": l.role },
      h("div", { class: "link-row" }, input, copyButton("Copy", () => url, input), revoke),
      h("span", { class: "muted small", text: meta }),
    );
  };
  const load = async () => {
    try {
      render(await shareApi.links(treeId));
    } catch (x) {
      list.replaceChildren(h("li", { class: "error", text: (x as Error).message }));
    }
  };
  on(form, "submit", async (e) => {
    e.preventDefault();
    const at = expiryFor(expiry.value, date.value);
    if (expiry.value === "date" && !at) {
      toast("Pick the date the link stops working.", { kind: "error" });
      date.focus();
      return;
    }
    make.disabled = true;
    try {
      const l = await shareApi.create(treeId, role.value as "editor" | "viewer", at);
      await load();
      const input = list.querySelector<HTMLInputElement>(`li[data-link="${l.id}"] input`);
      input?.focus();
    } catch (x) {
      showError(x);
    } finally {
      make.disabled = false;
    }
  });
  void load();
  return box;
}
