/** A small modal dialog (native <dialog>: focus stays inside, Escape closes it). */
import { h, on } from "./dom";

export interface Modal {
  d: HTMLDialogElement;
  body: HTMLElement;
  actions: HTMLElement;
  close: HTMLButtonElement;
}

/** Open a dialog titled `title`; it removes itself when closed. */
export function openModal(title: string, cls: string, closeText = "Cancel"): Modal {
  const body = h("div", { class: "modal-body" });
  const close = h("button", { type: "button", text: closeText });
  const actions = h("div", { class: "dialog-actions" }, close);
  const id = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  const d = h("dialog", { class: `help ${cls}`, "aria-labelledby": id }, h("h2", { id, text: title }), body, actions);
  on(close, "click", () => d.close());
  on(d, "close", () => d.remove());
  document.body.append(d);
  d.showModal();
  return { d, body, actions, close };
}
