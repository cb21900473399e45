/**
 * The facilitator's list of who is in the workshop: reset a participant's access (a one-time
 * sign-in link, shown once) or remove them (their open sockets close at once, server side).
 */
import { h, on, toast } from "../dom";
import { openModal } from "../modal";
import { accessUrl, workshopApi, type Participant } from "./wsapi";
import { linkField, showError } from "./util";

export class ParticipantList {
  readonly el: HTMLElement;
  private list: HTMLElement;
  private count: HTMLElement;
  private rows: Participant[] = [];
  /** Extra content per participant row (e.g. the group select), given by the page. */
  decorate: ((p: Participant, li: HTMLElement) => void) | null = null;
  onChange: (() => void) | null = null;

  constructor(
    private readonly workshopId: number,
    private readonly myUserId: number,
  ) {
    this.count = h("span", { class: "count", "aria-live": "polite" });
    this.list = h("ul", { class: "plain participants", "aria-label": "Participants" });
    this.el = h("section", { class: "card ws-participants" }, h("h2", {}, "People ", this.count), this.list);
  }

  get participants(): Participant[] {
    return this.rows;
  }

  async load(): Promise<void> {
    try {
      this.set(await workshopApi.participants(this.workshopId));
    } catch (x) {
      showError(x);
    }
  }

  set(rows: Participant[]): void {
    const same =
      rows.length === this.rows.length && rows.every((r, i) => r.id === this.rows[i].id && r.display_name === this.rows[i].display_name);
    this.rows = rows;
    const n = rows.filter((r) => r.role === "participant").length;
    this.count.textContent = `(${n} joined)`;
    if (same && this.list.childElementCount) {
      this.rerenderDecorations();
      return;
    }
    // Keep focus on the same row's control across a re-render (a join arriving while typing).
    const active = document.activeElement as HTMLElement | null;
    const focusKey = active && this.list.contains(active) ? active.dataset.focusKey : undefined;
    this.list.replaceChildren(
      ...(rows.length ? rows.map((p) => this.row(p)) : [h("li", { class: "muted", text: "Nobody yet." })]),
    );
    if (focusKey) this.list.querySelector<HTMLElement>(`[data-focus-key="${focusKey}"]`)?.focus();
  }

  rerenderDecorations(): void {
    const active = document.activeElement as HTMLElement | null;
    const focusKey = active && this.list.contains(active) ? active.dataset.focusKey : undefined;
    for (const li of this.list.querySelectorAll<HTMLElement>("li[data-participant]")) {
      const p = this.rows.find((r) => r.id === Number(li.dataset.participant));
      const slot = li.querySelector<HTMLElement>(".deco");
      if (p && slot && this.decorate) {
        slot.replaceChildren();
        this.decorate(p, slot);
      }
    }
    if (focusKey) this.list.querySelector<HTMLElement>(`[data-focus-key="${focusKey}"]`)?.focus();
  }

  private row(p: Participant): HTMLElement {
    const you = p.user === this.myUserId;
    const li = h(
      "li",
      { class: "participant", "data-participant": p.id, "data-name": p.display_name },
      h("span", { class: "who", text: p.display_name + (you ? " (you)" : "") }),
      p.role === "facilitator" ? h("span", { class: "role-badge", text: "facilitator" }) : null,
    );
    const deco = h("span", { class: "deco" });
    li.append(deco);
    if (this.decorate) this.decorate(p, deco);
    if (p.role === "participant") {
      const actions = h("span", { class: "row-actions" });
      const reset = h("button", {
        type: "button",
        class: "subtle",
        text: "Reset access",
        "aria-label": `Reset access of ${p.display_name}`,
        "data-focus-key": `reset-${p.id}`,
      });
      on(reset, "click", () => void this.reset(p, reset));
      const rm = h("button", {
        type: "button",
        class: "subtle danger",
        text: "Remove",
        "aria-label": `Remove ${p.display_name}`,
        "data-focus-key": `remove-${p.id}`,
      });
      on(rm, "click", () => void this.remove(p));
      actions.append(reset, rm);
      li.append(actions);
    }
    return li;
  }

  private async reset(p: Participant, btn: HTMLButtonElement): Promise<void> {
    if (!confirm(`Reset ${p.display_name}'s access? Their password and open sessions stop working; you get a one-time sign-in link to give them.`))
      return;
    let r: { key: string; expires_at: string };
    try {
      r = await workshopApi.resetParticipant(this.workshopId, p.id);
    } catch (x) {
      showError(x);
      return;
    }
    const m = openModal(`Sign-in link for ${p.display_name}`, "access-dialog", "Done");
    const field = linkField(accessUrl(r.key), `One-time sign-in link for ${p.display_name}`, "access-link");
    m.body.append(
      h("p", { text: `Give this link to ${p.display_name}: it signs them in once, until ${new Date(r.expires_at).toLocaleString()}.` }),
      field.el,
      h("p", { class: "muted small", text: "It is shown only now. Resetting again makes a new one and the old one stops working." }),
    );
    field.input.focus();
    on(m.d, "close", () => btn.focus());
  }

  private async remove(p: Participant): Promise<void> {
    if (!confirm(`Remove ${p.display_name} from the workshop? They lose access to its trees at once.`)) return;
    try {
      await workshopApi.removeParticipant(this.workshopId, p.id);
      toast(`${p.display_name} was removed.`);
      await this.load();
      this.onChange?.();
    } catch (x) {
      showError(x);
    }
  }
}
