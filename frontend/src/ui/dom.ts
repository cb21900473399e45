/** Tiny DOM helpers. User content only ever goes in as text (textContent), never as HTML. */

type Attrs = Record<string, string | number | boolean | null | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = String(v);
    else if (k === "text") el.textContent = String(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function on<K extends keyof HTMLElementEventMap>(
  el: HTMLElement | Document | Window,
  type: K,
  fn: (ev: HTMLElementEventMap[K]) => void,
  opts?: AddEventListenerOptions,
): void {
  el.addEventListener(type, fn as EventListener, opts);
}

/**
 * Whether a keyboard is likely: a pointer that hovers and is precise (a mouse or trackpad),
 * so shortcut hints ("Ctrl+Shift+1") mean something. A phone or tablet gets none: its keys
 * are not there. Asked at each render, so a laptop that docks or undocks follows.
 */
export function keyboardLikely(): boolean {
  return typeof window.matchMedia === "function" && window.matchMedia("(hover: hover) and (pointer: fine)").matches;
}

/** Toasts shown at once; an older one makes room for a new one (they never pile up). */
const MAX_TOASTS = 3;

/**
 * A short-lived message in the bottom corner; `actions` become buttons. The same message again
 * while one is shown counts up on it instead of stacking; at most MAX_TOASTS are shown; the
 * page keeps the node in use above them (reserveBottom).
 */
export function toast(
  message: string,
  opts: { kind?: "info" | "error" | "warn"; actions?: { label: string; run: () => void }[]; ms?: number } = {},
): void {
  let box = document.getElementById("toasts");
  if (!box) {
    box = h("div", { id: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
    new ResizeObserver(() => reserveBottom("toasts", box!.childElementCount ? box!.offsetHeight + 16 : 0)).observe(box);
  }
  const kind = opts.kind ?? "info";
  const ms = opts.ms ?? (opts.actions?.length ? 12000 : 5000);
  const same = [...box.children].find(
    (t) => (t as HTMLElement).dataset.message === message && (t as HTMLElement).dataset.kind === kind && !opts.actions?.length,
  ) as HTMLElement | undefined;
  if (same) {
    const n = Number(same.dataset.count ?? "1") + 1;
    same.dataset.count = String(n);
    same.querySelector(".toast-count")!.textContent = `×${n}`;
    window.clearTimeout(Number(same.dataset.timer));
    same.dataset.timer = String(window.setTimeout(() => same.remove(), ms));
    return;
  }
  const item = h(
    "div",
    { class: `toast ${kind}`, "data-message": message, "data-kind": kind },
    h("span", { class: "toast-text", text: message }),
    h("span", { class: "toast-count" }),
  );
  for (const a of opts.actions ?? []) {
    const b = h("button", { type: "button", class: "link", text: a.label });
    on(b, "click", () => {
      a.run();
      item.remove();
    });
    item.append(b);
  }
  const close = h("button", { type: "button", class: "icon", "aria-label": "Dismiss", text: "×" });
  on(close, "click", () => item.remove());
  item.append(close);
  box.append(item);
  while (box.childElementCount > MAX_TOASTS) box.firstElementChild!.remove();
  item.dataset.timer = String(window.setTimeout(() => item.remove(), ms));
}

const reserved = new Map<string, number>();

/**
 * Room taken at the bottom of the screen by fixed overlays (toasts, the phone's details sheet):
 * scrolling a node into view keeps it above them, and the page can scroll its end clear of
 * them. `--sheet-h` places the toasts above the sheet.
 */
export function reserveBottom(name: string, px: number): void {
  if ((reserved.get(name) ?? 0) === px) return;
  reserved.set(name, px);
  let total = 0;
  for (const v of reserved.values()) total += v;
  const root = document.documentElement;
  root.style.scrollPaddingBottom = total ? `${total}px` : "";
  root.style.setProperty("--reserve-bottom", `${total}px`);
  root.style.setProperty("--sheet-h", `${reserved.get("details") ?? 0}px`);
  // What the user is working in stays visible when an overlay grows over it.
  const active = document.activeElement;
  if (active instanceof HTMLElement && active !== document.body && !active.closest("#toasts, .details"))
    (active.closest(".row") ?? active).scrollIntoView({ block: "nearest" });
}

export function initials(name: string): string {
  return name.slice(0, 2).toUpperCase();
}

/** A stable colour per user id for presence markers. */
export function userColor(id: number): string {
  const hues = [200, 30, 280, 150, 330, 90, 250, 10];
  return `hsl(${hues[Math.abs(id) % hues.length]} 70% 42%)`;
}
