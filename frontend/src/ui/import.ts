/**
 * The import dialog of the tree list: paste an outline (a Google Doc copy, Markdown bullets,
 * OPML...) or choose a file, see a live preview of the tree the server would create
 * (POST /api/trees/import/preview/, which creates nothing), then create it (POST
 * /api/trees/import/) and open it. Everything the user or the file supplies goes in as text.
 */
import { ApiError, type TreeSummary } from "../api";
import { TYPE_INFO } from "../core/grammar";
import type { NodeType, TreeKind } from "../core/types";
import { h, on } from "./dom";

/** Import formats the server reads, with the names shown to people. */
export const IMPORT_FORMATS: [string, string][] = [
  ["auto", "Detect automatically"],
  ["md", "Markdown"],
  ["txt", "Plain text (Google Docs copy)"],
  ["opml", "OPML (Workflowy, Dynalist)"],
  ["json", "JSON backup"],
  ["graphml", "GraphML"],
];

export const FORMAT_NAMES: Record<string, string> = {
  md: "Markdown",
  txt: "Plain text",
  opml: "OPML",
  json: "JSON backup",
  graphml: "GraphML",
};

/** What a node looks like in a preview answer (a subset of the protocol shape). */
export interface PreviewNode {
  id: string;
  type: NodeType;
  parent: string | null;
  key: string;
  text: string;
  note?: string;
  tags?: string[];
  deleted?: boolean;
}

export interface Preview {
  format: string;
  title: string;
  kind: TreeKind;
  nodes: PreviewNode[];
  /** What the server had to guess (a glyph-only list past three levels), as sentences. */
  warnings?: string[];
}

export interface PreviewItem {
  node: PreviewNode;
  children: PreviewItem[];
}

/** Nest the flat node list (parents before children) into sibling-ordered items; deleted ones are left out. */
export function nestPreview(nodes: PreviewNode[]): PreviewItem[] {
  const items = new Map<string, PreviewItem>();
  for (const n of nodes) if (!n.deleted) items.set(n.id, { node: n, children: [] });
  const roots: PreviewItem[] = [];
  for (const it of items.values()) {
    const p = it.node.parent;
    if (p === null) roots.push(it);
    else items.get(p)?.children.push(it); // under a deleted parent: hidden, as clients do
  }
  const byKey = (a: PreviewItem, b: PreviewItem) => (a.node.key < b.node.key ? -1 : a.node.key > b.node.key ? 1 : 0);
  const sort = (list: PreviewItem[]) => {
    list.sort(byKey);
    for (const it of list) sort(it.children);
  };
  sort(roots);
  return roots;
}

const PLURALS: Record<NodeType, string> = {
  proposal: "proposals",
  critique: "critiques",
  patch: "patches",
  problem: "problems",
};

/** "12 nodes: 3 proposals, 6 critiques, 3 patches". */
export function countSummary(items: PreviewItem[]): { total: number; text: string } {
  const counts = new Map<NodeType, number>();
  let total = 0;
  const walk = (list: PreviewItem[]) => {
    for (const it of list) {
      total++;
      counts.set(it.node.type, (counts.get(it.node.type) ?? 0) + 1);
      walk(it.children);
    }
  };
  walk(items);
  const parts = (["proposal", "critique", "patch", "problem"] as NodeType[])
    .filter((t) => counts.get(t))
    .map((t) => `${counts.get(t)} ${counts.get(t) === 1 ? TYPE_INFO[t].label.toLowerCase() : PLURALS[t]}`);
  const head = `${total} node${total === 1 ? "" : "s"}`;
  return { total, text: parts.length > 1 ? `${head}: ${parts.join(", ")}` : head };
}

const GLYPHS = "●○■";

/** The text of a list item without its nested lists, on one line. */
function ownText(li: Element): string {
  let out = "";
  for (const child of li.childNodes) {
    if (child instanceof Element && (child.tagName === "UL" || child.tagName === "OL")) continue;
    out += child.textContent ?? "";
  }
  return out.replace(/\s+/g, " ").trim();
}

/**
 * An outline (tab-indented, Google Docs glyphs) from the text/html a copy puts on the
 * clipboard, or null when it holds no list. Google Docs marks each item's level
 * (`aria-level`), which its plain-text copy loses past three levels (the glyphs cycle);
 * other editors nest their lists. A heading before the list becomes the title line.
 */
export function outlineFromHtml(html: string): string | null {
  const doc = new DOMParser().parseFromString(html, "text/html");
  const items = [...doc.querySelectorAll("li")];
  if (!items.length) return null;
  const lines: string[] = [];
  const heading = doc.querySelector("h1, h2, h3, title");
  if (heading && heading.compareDocumentPosition(items[0]) & Node.DOCUMENT_POSITION_FOLLOWING) {
    const title = (heading.textContent ?? "").replace(/\s+/g, " ").trim();
    if (title) lines.push(title);
  }
  for (const li of items) {
    const aria = Number(li.getAttribute("aria-level"));
    let depth = 0;
    if (Number.isInteger(aria) && aria > 0) depth = aria - 1;
    else for (let p = li.parentElement; p; p = p.parentElement) if (p.tagName === "UL" || p.tagName === "OL") depth++;
    if (!(aria > 0)) depth = Math.max(0, depth - 1);
    lines.push(`${"\t".repeat(depth)}${GLYPHS[depth % GLYPHS.length]} ${ownText(li)}`);
  }
  return lines.join("\n");
}

/** Split "line 7: inconsistent indentation" into its line number and the rest. */
export function splitLine(message: string): { line: number | null; text: string } {
  const m = message.match(/^line (\d+): ([\s\S]*)$/);
  return m ? { line: Number(m[1]), text: m[2] } : { line: null, text: message };
}

// ------------------------------------------------------------------ requests

function cookie(name: string): string | null {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

async function csrfToken(): Promise<string> {
  const c = cookie("csrftoken");
  if (c) return c;
  const r = await fetch("/api/auth/csrf/", { credentials: "same-origin" });
  const token = ((await r.json()) as { csrfToken: string }).csrfToken;
  return cookie("csrftoken") ?? token;
}

export interface ImportInput {
  kind: TreeKind;
  title: string;
  format: string;
  text: string;
  file: File | null;
}

async function postImport<T>(url: string, input: ImportInput, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json", "X-CSRFToken": await csrfToken() };
  let body: BodyInit;
  if (input.file) {
    const fd = new FormData();
    fd.append("kind", input.kind);
    fd.append("format", input.format);
    if (input.title) fd.append("title", input.title);
    fd.append("file", input.file, input.file.name);
    body = fd;
  } else {
    headers["Content-Type"] = "application/json";
    const payload: Record<string, string> = { kind: input.kind, format: input.format, text: input.text };
    if (input.title) payload.title = input.title;
    body = JSON.stringify(payload);
  }
  let r: Response;
  try {
    r = await fetch(url, { method: "POST", headers, body, credentials: "same-origin", signal });
  } catch (x) {
    if ((x as Error).name === "AbortError") throw x;
    throw new ApiError(0, "network", "The server cannot be reached.");
  }
  const data = await r.json().catch(() => null);
  if (!r.ok) {
    const d = (data ?? {}) as { code?: string; message?: string };
    if (r.status === 413) throw new ApiError(413, d.code ?? "too_large", d.message ?? "Imports are at most 5 MB.");
    throw new ApiError(r.status, d.code ?? "error", d.message ?? `Request failed (${r.status})`);
  }
  return data as T;
}

export const importApi = {
  preview: (input: ImportInput, signal?: AbortSignal) => postImport<Preview>("/api/trees/import/preview/", input, signal),
  create: (input: ImportInput) => postImport<TreeSummary>("/api/trees/import/", input),
};

// ------------------------------------------------------------------ the dialog

const PREVIEW_LIMIT = 400; // nodes drawn in the preview; the count covers them all
const DEBOUNCE_MS = 350;
let seq = 0;

function previewList(items: PreviewItem[], budget: { left: number }): HTMLUListElement {
  const ul = h("ul", { class: "imp-tree" });
  for (const it of items) {
    if (budget.left <= 0) break;
    budget.left--;
    const n = it.node;
    const info = TYPE_INFO[n.type] ?? { label: n.type, icon: "•" };
    const row = h(
      "div",
      { class: "imp-row" },
      h("span", { class: "imp-icon", "aria-hidden": "true", text: info.icon }),
      h("span", { class: "imp-type", text: info.label }),
      h("span", { class: "imp-text", text: n.text || "(empty)" }),
    );
    if (n.tags?.length) row.append(h("span", { class: "imp-tags", text: n.tags.map((t) => `#${t}`).join(" ") }));
    const li = h("li", { class: `imp-node t-${n.type}`, "data-type": n.type }, row);
    if (n.note) li.append(h("div", { class: "imp-note", text: n.note.length > 160 ? `${n.note.slice(0, 160)}…` : n.note }));
    if (it.children.length) li.append(previewList(it.children, budget));
    ul.append(li);
  }
  return ul;
}

/** Open the import dialog; `onCreated` gets the new tree (the list page opens it). */
export function openImportDialog(onCreated: (t: TreeSummary) => void, opener?: HTMLElement | null): HTMLDialogElement {
  const id = `imp${++seq}`;
  const text = h("textarea", {
    id: `${id}-text`,
    rows: 12,
    spellcheck: "false",
    placeholder: "Paste an outline: a copy from a Google Doc, Markdown bullets, OPML, a JSON backup…",
    "aria-describedby": `${id}-hint`,
  });
  const fileInput = h("input", {
    type: "file",
    id: `${id}-file`,
    class: "imp-file-input",
    accept: ".md,.markdown,.txt,.opml,.xml,.json,.graphml,text/plain,text/markdown",
  });
  const fileName = h("span", { class: "imp-file-name muted", text: "No file chosen" });
  const fileClear = h("button", { type: "button", class: "link", text: "Remove file", hidden: true });
  const fileBtn = h("button", { type: "button", class: "subtle", text: "Choose a file…" });
  const kind = h(
    "select",
    { id: `${id}-kind` },
    h("option", { value: "game", text: "Game tree" }),
    h("option", { value: "problem", text: "Problem tree" }),
  );
  const title = h("input", { id: `${id}-title`, maxlength: 200, placeholder: "From the file, or “Untitled tree”" });
  const format = h("select", { id: `${id}-format` }, ...IMPORT_FORMATS.map(([v, label]) => h("option", { value: v, text: label })));
  const status = h("p", { class: "imp-status muted", role: "status", "aria-live": "polite" });
  const error = h("div", { class: "imp-error", role: "alert" });
  const warning = h("p", { class: "imp-warning small", role: "note", hidden: true });
  const tree = h("div", { class: "imp-preview", tabindex: 0, "aria-label": "Preview of the tree to create", role: "region" });
  const create = h("button", { type: "button", class: "primary", text: "Create tree", disabled: true });
  const cancel = h("button", { type: "button", class: "subtle", text: "Cancel" });

  const field = (label: string, control: HTMLElement, extra?: Node) =>
    h("div", { class: "field" }, h("label", { for: control.id, text: label }), control, extra ?? null);

  const form = h(
    "form",
    { class: "imp-form", method: "dialog" },
    h(
      "div",
      { class: "imp-input" },
      field("Text to import", text),
      h("p", { id: `${id}-hint`, class: "muted small", text: "Indent with spaces or tabs, one item per line. A label may start with “Critique:” or “Patch:” to set its type." }),
      h("div", { class: "imp-file" }, fileBtn, fileInput, fileName, fileClear),
      h(
        "div",
        { class: "imp-options" },
        field("Kind", kind),
        field("Format", format),
        field("Title", title),
      ),
    ),
    h("div", { class: "imp-output" }, h("h3", { text: "Preview" }), status, warning, error, tree),
  );
  const dialog = h(
    "dialog",
    { class: "import-dialog", "aria-labelledby": `${id}-h`, "aria-describedby": `${id}-d` },
    h("h2", { id: `${id}-h`, text: "Import a tree" }),
    h("p", { id: `${id}-d`, class: "muted small", text: "Nothing is created until you press “Create tree”." }),
    form,
    h("div", { class: "dialog-actions" }, cancel, create),
  );
  document.body.append(dialog);

  let file: File | null = null;
  let timer: number | null = null;
  let inflight: AbortController | null = null;
  let ok = false; // the last preview, of the current input, succeeded
  let busy = false;
  let n = 0;

  const input = (): ImportInput => ({
    kind: kind.value as TreeKind,
    title: title.value.trim(),
    format: format.value,
    text: text.value,
    file,
  });
  const hasInput = () => file !== null || text.value.trim() !== "";
  const setOk = (v: boolean) => {
    ok = v;
    create.disabled = !ok || busy;
  };

  const showError = (x: unknown) => {
    const code = x instanceof ApiError ? x.code : "error";
    const { line, text: msg } = splitLine((x as Error).message);
    // A sentence for people; the machine code stays in data-code for tools and tests.
    const parts: Node[] = [];
    if (line !== null) parts.push(h("span", { class: "imp-line", text: `Line ${line}: ` }));
    parts.push(h("span", { class: "imp-msg", text: msg }));
    error.replaceChildren(h("strong", { text: "Cannot import: " }), ...parts);
    error.dataset.code = code;
    if (line !== null) error.dataset.line = String(line);
    else delete error.dataset.line;
    // Point at the line in the pasted text.
    if (line !== null && !file) markLine(line);
  };
  const clearError = () => {
    error.replaceChildren();
    delete error.dataset.code;
    delete error.dataset.line;
  };
  const markLine = (line: number) => {
    const lines = text.value.split("\n");
    if (line < 1 || line > lines.length) return;
    let start = 0;
    for (let i = 0; i < line - 1; i++) start += lines[i].length + 1;
    // Select without moving focus away from where the person is typing.
    if (document.activeElement !== text) text.setSelectionRange(start, start + lines[line - 1].length);
  };

  const runPreview = async () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    inflight?.abort();
    inflight = null;
    const mine = ++n;
    setOk(false);
    if (!hasInput()) {
      clearError();
      warning.hidden = true;
      status.textContent = "Paste an outline or choose a file to see the tree here.";
      tree.replaceChildren();
      dialog.dataset.state = "empty";
      return;
    }
    status.textContent = "Reading…";
    dialog.dataset.state = "loading";
    const ctl = new AbortController();
    inflight = ctl;
    try {
      const p = await importApi.preview(input(), ctl.signal);
      if (mine !== n) return;
      clearError();
      const items = nestPreview(p.nodes);
      const { total, text: summary } = countSummary(items);
      status.replaceChildren(
        h("span", { class: "imp-count", text: summary }),
        " · ",
        h("span", { class: "imp-format", "data-format": p.format, text: `read as ${FORMAT_NAMES[p.format] ?? p.format}` }),
        " · ",
        h("span", { class: "imp-title", text: `title “${p.title}”` }),
      );
      title.placeholder = p.title;
      warning.textContent = (p.warnings ?? []).join(" ");
      warning.hidden = !p.warnings?.length;
      const budget = { left: PREVIEW_LIMIT };
      const list = previewList(items, budget);
      tree.replaceChildren(list);
      if (total > PREVIEW_LIMIT) tree.append(h("p", { class: "muted small", text: `… and ${total - PREVIEW_LIMIT} more.` }));
      dialog.dataset.state = "ok";
      setOk(true);
    } catch (x) {
      if ((x as Error).name === "AbortError" || mine !== n) return;
      status.textContent = "";
      warning.hidden = true;
      tree.replaceChildren();
      showError(x);
      dialog.dataset.state = "error";
    } finally {
      if (inflight === ctl) inflight = null;
    }
  };
  const schedule = (ms = DEBOUNCE_MS) => {
    setOk(false);
    if (timer !== null) clearTimeout(timer);
    timer = window.setTimeout(() => void runPreview(), ms);
  };

  const setFile = (f: File | null) => {
    file = f;
    fileName.textContent = f ? `${f.name} (${f.size < 1024 ? `${f.size} B` : `${Math.ceil(f.size / 1024)} KB`})` : "No file chosen";
    fileClear.hidden = !f;
    text.disabled = !!f;
    if (!f) fileInput.value = "";
    schedule(0);
  };

  on(text, "input", () => schedule());
  // A copied list (Google Docs, a web page) comes with HTML that knows every item's level:
  // paste that as an indented outline rather than the plain text, whose glyphs are ambiguous.
  on(text, "paste", (e) => {
    const html = e.clipboardData?.getData("text/html") ?? "";
    if (!/<li[\s>]/i.test(html)) return;
    const outline = outlineFromHtml(html);
    if (!outline) return;
    e.preventDefault();
    text.setRangeText(outline, text.selectionStart, text.selectionEnd, "end");
    schedule(0);
  });
  on(kind, "change", () => schedule(0));
  on(format, "change", () => schedule(0));
  on(title, "input", () => schedule());
  on(fileBtn, "click", () => fileInput.click());
  on(fileInput, "change", () => setFile(fileInput.files?.[0] ?? null));
  on(fileClear, "click", () => {
    setFile(null);
    fileBtn.focus();
  });
  on(dialog, "dragover", (e) => {
    if (e.dataTransfer?.types.includes("Files")) e.preventDefault();
  });
  on(dialog, "drop", (e) => {
    const f = e.dataTransfer?.files?.[0];
    if (!f) return;
    e.preventDefault();
    setFile(f);
  });

  const submit = async () => {
    if (!ok || busy) return;
    busy = true;
    create.disabled = true;
    create.textContent = "Creating…";
    try {
      const t = await importApi.create(input());
      close();
      onCreated(t);
    } catch (x) {
      showError(x);
      setOk(false);
    } finally {
      busy = false;
      create.textContent = "Create tree";
      create.disabled = !ok;
    }
  };
  on(form, "submit", (e) => {
    e.preventDefault();
    void submit();
  });
  on(create, "click", () => void submit());

  const close = () => {
    if (timer !== null) clearTimeout(timer);
    inflight?.abort();
    n++;
    if (dialog.open) dialog.close();
  };
  on(cancel, "click", close);
  // Escape: the native dialog fires `cancel` and closes; tidy up either way.
  on(dialog, "close", () => {
    if (timer !== null) clearTimeout(timer);
    inflight?.abort();
    dialog.remove();
    if (opener?.isConnected) opener.focus();
  });
  // Focus trap: Tab and Shift+Tab cycle inside the dialog.
  on(dialog, "keydown", (e) => {
    if (e.key !== "Tab") return;
    const focusables = [...dialog.querySelectorAll<HTMLElement>("button, input, select, textarea, [tabindex]")].filter(
      (el) => !(el as HTMLButtonElement).disabled && el.tabIndex >= 0 && !el.hidden && el.getClientRects().length > 0,
    );
    if (!focusables.length) return;
    const first = focusables[0];
    const last = focusables[focusables.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  });

  status.textContent = "Paste an outline or choose a file to see the tree here.";
  dialog.dataset.state = "empty";
  dialog.showModal();
  text.focus();
  return dialog;
}
