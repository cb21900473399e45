/**
 * The "Download" menu of the tree page: links to GET /api/trees/<id>/export/?format=...,
 * which the session cookie authorises. A click fetches the file first, so that a refused
 * export (Graphviz missing, a tree too large for a picture...) shows its message instead of
 * silently doing nothing, and the file keeps the name the server gives (the tree's title).
 */
import type { TreeKind } from "../core/types";
import { h, on, toast } from "./dom";

export interface ExportFormat {
  format: string;
  label: string;
  hint: string;
  gameOnly?: boolean;
}

export const EXPORT_FORMATS: ExportFormat[] = [
  { format: "md", label: "Markdown", hint: "outline with notes (.md)" },
  { format: "opml", label: "OPML", hint: "Workflowy, Dynalist (.opml)" },
  { format: "json", label: "JSON (backup)", hint: "everything, re-importable (.json)" },
  { format: "graphml", label: "GraphML", hint: "graph tools (.graphml)" },
  { format: "svg", label: "SVG", hint: "picture (.svg)" },
  { format: "png", label: "PNG", hint: "picture (.png)" },
  { format: "argdown", label: "Argdown", hint: "arguments (.argdown)", gameOnly: true },
];

export function exportUrl(treeId: number, format: string): string {
  return `/api/trees/${treeId}/export/?format=${encodeURIComponent(format)}`;
}

/** The file name of a Content-Disposition header: `filename*` (UTF-8) first, then `filename`. */
export function fileNameFrom(header: string | null): string | null {
  if (!header) return null;
  const star = header.match(/filename\*\s*=\s*UTF-8''([^;]+)/i);
  if (star) {
    try {
      return decodeURIComponent(star[1].trim());
    } catch {
      // a malformed escape: fall back to the plain name
    }
  }
  const plain = header.match(/filename\s*=\s*"([^"]*)"/i);
  return plain ? plain[1] : null;
}

/** Fetch one export and save it, or say why it failed. */
export async function downloadExport(treeId: number, f: ExportFormat): Promise<boolean> {
  const fail = (why: string) => {
    toast(`${f.label} download failed: ${why}`, { kind: "error", ms: 12000 });
    return false;
  };
  let r: Response;
  try {
    r = await fetch(exportUrl(treeId, f.format), { credentials: "same-origin" });
  } catch {
    return fail("the server cannot be reached.");
  }
  if (!r.ok) {
    const d = (await r.json().catch(() => null)) as { code?: string; message?: string } | null;
    return fail(d?.message ?? `the server answered ${r.status}.`);
  }
  const blob = await r.blob();
  const url = URL.createObjectURL(blob);
  const a = h("a", {
    href: url,
    download: fileNameFrom(r.headers.get("Content-Disposition")) ?? `tree-${treeId}.${f.format}`,
    hidden: true,
  });
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return true;
}

/** The formats offered for a tree of this kind (null: not known yet, all but the game-only ones). */
export function formatsFor(kind: TreeKind | null): ExportFormat[] {
  return EXPORT_FORMATS.filter((f) => !f.gameOnly || kind === "game");
}

/** A menu button; `kind()` is read each time the menu opens (the summary may arrive later). */
export function downloadMenu(treeId: number, kind: () => TreeKind | null): HTMLElement {
  const menuId = `download-menu-${treeId}`;
  const button = h("button", {
    type: "button",
    class: "subtle download-btn",
    "aria-haspopup": "menu",
    "aria-expanded": "false",
    "aria-controls": menuId,
    text: "Download ▾",
    title: "Download this tree as a file",
  });
  const menu = h("ul", { class: "download-menu", id: menuId, role: "menu", "aria-label": "Download as", hidden: true });
  const wrap = h("div", { class: "download" }, button, menu);

  const items = () => [...menu.querySelectorAll<HTMLAnchorElement>("a[role=menuitem]")];
  const fill = () => {
    menu.replaceChildren(
      ...formatsFor(kind()).map((f) => {
        const a = h(
          "a",
          { role: "menuitem", href: exportUrl(treeId, f.format), download: "", tabindex: -1, "data-format": f.format },
          h("span", { class: "dl-label", text: f.label }),
          h("span", { class: "dl-hint", text: f.hint }),
        );
        on(a, "click", (e) => {
          e.preventDefault();
          window.setTimeout(() => hide(false), 0);
          void downloadExport(treeId, f);
        });
        return h("li", { role: "none" }, a);
      }),
    );
  };
  const show = (focus: "first" | "last" | null) => {
    fill();
    menu.hidden = false;
    // Hung from the button's right edge, it can start left of the screen (a phone, where
    // the header wraps the button to the start of a line): move it in by that much.
    menu.style.right = "";
    const left = menu.getBoundingClientRect().left;
    if (left < 8) menu.style.right = `${left - 8}px`;
    button.setAttribute("aria-expanded", "true");
    const list = items();
    if (focus && list.length) (focus === "first" ? list[0] : list[list.length - 1]).focus();
  };
  const hide = (refocus: boolean) => {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  };

  on(button, "click", () => (menu.hidden ? show(null) : hide(false)));
  on(button, "keydown", (e) => {
    if (e.key === "ArrowDown" || e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      show("first");
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      show("last");
    }
  });
  on(menu, "keydown", (e) => {
    const list = items();
    const i = list.indexOf(document.activeElement as HTMLAnchorElement);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const j = e.key === "ArrowDown" ? (i + 1) % list.length : (i - 1 + list.length) % list.length;
      list[j]?.focus();
    } else if (e.key === "Home" || e.key === "End") {
      e.preventDefault();
      list[e.key === "Home" ? 0 : list.length - 1]?.focus();
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      hide(true);
    } else if (e.key === "Tab") {
      hide(false);
    } else if (e.key === " ") {
      e.preventDefault();
      list[i]?.click();
    }
  });
  const outside = (e: Event) => {
    if (!wrap.isConnected) {
      document.removeEventListener("pointerdown", outside, true);
      return;
    }
    if (!wrap.contains(e.target as Node)) hide(false);
  };
  document.addEventListener("pointerdown", outside, true);
  on(wrap, "focusout", (e) => {
    if (!wrap.contains(e.relatedTarget as Node | null) && e.relatedTarget !== null) hide(false);
  });
  return wrap;
}
