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

/** A short-lived message at the bottom of the screen; `actions` become buttons. */
export function toast(
  message: string,
  opts: { kind?: "info" | "error" | "warn"; actions?: { label: string; run: () => void }[]; ms?: number } = {},
): void {
  let box = document.getElementById("toasts");
  if (!box) {
    box = h("div", { id: "toasts", role: "status", "aria-live": "polite" });
    document.body.append(box);
  }
  const item = h("div", { class: `toast ${opts.kind ?? "info"}` }, h("span", { text: message }));
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
  window.setTimeout(() => item.remove(), opts.ms ?? (opts.actions?.length ? 12000 : 5000));
}

export function initials(name: string): string {
  return name.slice(0, 2).toUpperCase();
}

/** A stable colour per user id for presence markers. */
export function userColor(id: number): string {
  const hues = [200, 30, 280, 150, 330, 90, 250, 10];
  return `hsl(${hues[Math.abs(id) % hues.length]} 70% 42%)`;
}
