/** Small pieces shared by the workshop pages: the top bar, a copy button, errors as toasts. */
import type { User } from "../../core/types";
import { personName } from "../../core/people";
import { h, on, toast } from "../dom";

export type Navigate = (path: string, replace?: boolean) => void;

/** An in-app link: a plain <a> (open in a new tab works) that navigates without a reload. */
export function appLink(href: string, text: string, navigate: Navigate, attrs: Record<string, string> = {}): HTMLAnchorElement {
  const a = h("a", { href, text, ...attrs });
  on(a, "click", (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(href);
  });
  return a;
}

export function topbar(me: User, navigate: Navigate, signOut: () => void, ...middle: (Node | string)[]): HTMLElement {
  const out = h("button", { type: "button", class: "link", text: "Sign out" });
  on(out, "click", signOut);
  return h(
    "header",
    { class: "topbar" },
    appLink("/", "Gametree", navigate, { class: "brand-link" }),
    ...middle,
    h("span", { class: "spacer" }),
    h("span", { class: "me", title: me.username, text: personName(me) }),
    out,
  );
}

export function showError(x: unknown): void {
  toast((x as Error).message, { kind: "error" });
}

/** A button copying `text()`; falls back to selecting `select` when the clipboard is refused. */
export function copyButton(label: string, text: () => string, select?: HTMLInputElement): HTMLButtonElement {
  const b = h("button", { type: "button", class: "subtle copy", text: label });
  on(b, "click", async () => {
    try {
      await navigator.clipboard.writeText(text());
      b.textContent = "Copied";
      window.setTimeout(() => (b.textContent = label), 1500);
    } catch {
      if (select) {
        select.focus();
        select.select();
      }
      toast("Copy it by hand: the text is selected.");
    }
  });
  return b;
}

/** A read-only field holding a link, with its copy button. */
export function linkField(url: string, label: string, id: string): { el: HTMLElement; input: HTMLInputElement } {
  const input = h("input", { id, readonly: true, value: url, class: "link-field", "aria-label": label, spellcheck: "false" });
  on(input, "focus", () => input.select());
  return { el: h("div", { class: "link-row" }, input, copyButton("Copy", () => input.value, input)), input };
}

/** "2 min 05 s" style remaining time, as mm:ss (h:mm:ss past an hour). */
export function clock(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  return hh ? `${hh}:${two(mm)}:${two(ss)}` : `${two(mm)}:${two(ss)}`;
}
