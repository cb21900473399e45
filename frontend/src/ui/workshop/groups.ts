/**
 * The facilitator's groups: drawn automatically (balanced groups of 2 or 3, re-drawable) or
 * arranged by dragging people between groups; by keyboard, each person's "Group" select in the
 * list of people does the same move.
 *
 * A live event re-reads the page (`update`) at any moment; while a person is being dragged the
 * groups are not re-drawn (that would take the dragged chip and the drop targets away and end
 * the drag): the newest state waits and is drawn when the drag ends.
 */
import { h, on, toast } from "../dom";
import { showError } from "./util";
import { roundsApi, type Group, type Home, type ParticipantInGroup } from "./wsapi";

const DRAG_TYPE = "application/x-gametree-participant";

export class GroupsPanel {
  readonly el: HTMLElement;
  private board: HTMLElement;
  private size: HTMLSelectElement;
  private drawBtn: HTMLButtonElement;
  private home: Home | null = null;
  /** A drag is under way: `update` keeps the newest state here instead of re-drawing. */
  private dragging = false;
  private deferred: Home | null = null;
  /** What the last move did with the person's own trees (stays until the next move). */
  private note: HTMLElement;

  constructor(
    private readonly workshopId: number,
    private readonly reload: () => void,
  ) {
    this.size = h(
      "select",
      { id: "group-size" },
      h("option", { value: "3", text: "3 people" }),
      h("option", { value: "2", text: "2 people" }),
    );
    this.drawBtn = h("button", { type: "button", class: "primary", text: "Draw groups" });
    on(this.drawBtn, "click", () => void this.draw());
    const add = h("button", { type: "button", class: "subtle", text: "Add a group" });
    on(add, "click", async () => {
      try {
        await roundsApi.addGroup(this.workshopId);
        this.reload();
      } catch (x) {
        showError(x);
      }
    });
    this.board = h("div", { class: "group-board", "aria-label": "Groups" });
    this.note = h("p", { class: "move-note", role: "status", hidden: true });
    this.el = h(
      "section",
      { class: "card ws-groups", "aria-labelledby": "groups-h" },
      h("h2", { id: "groups-h", text: "Groups" }),
      h(
        "div",
        { class: "group-tools" },
        h("span", { class: "inline" }, h("label", { for: "group-size", text: "Groups of" }), this.size),
        this.drawBtn,
        add,
      ),
      h("p", { class: "muted small", text: "Drag people between groups, or use the Group menu next to each person below." }),
      this.note,
      this.board,
    );
  }

  update(home: Home): void {
    this.home = home;
    if (this.dragging) {
      this.deferred = home;
      return;
    }
    const people = new Map(home.participants.map((p) => [p.id, p]));
    this.drawBtn.textContent = home.groups.length ? "Re-draw groups" : "Draw groups";
    const grouped = new Set(home.groups.flatMap((g) => g.members));
    const unassigned = home.participants.filter((p) => p.role === "participant" && !grouped.has(p.id));
    const cols = home.groups.map((g) => this.column(g, g.members.map((id) => people.get(id)).filter((p): p is ParticipantInGroup => !!p)));
    const joined = home.participants.some((p) => p.role === "participant");
    if (unassigned.length || !home.groups.length) cols.push(this.column(null, unassigned, joined));
    this.board.replaceChildren(...cols);
  }

  private column(g: Group | null, members: ParticipantInGroup[], joined = true): HTMLElement {
    const title = g ? g.name : "Not in a group";
    const list = h("ul", { class: "plain group-members", "aria-label": title });
    for (const p of members) {
      const chip = h("li", { class: "member-chip", draggable: "true", "data-participant": p.id, text: p.display_name });
      on(chip, "dragstart", (e) => {
        e.dataTransfer?.setData(DRAG_TYPE, String(p.id));
        e.dataTransfer?.setData("text/plain", p.display_name);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
        chip.classList.add("dragging");
        this.dragging = true;
      });
      on(chip, "dragend", () => {
        chip.classList.remove("dragging");
        this.dragEnded();
      });
      list.append(chip);
    }
    // Before anyone joined, "Everyone is in a group" was true of nobody.
    const empty = g ? "Drop people here" : joined ? "Everyone is in a group" : "Nobody has joined yet";
    if (!members.length) list.append(h("li", { class: "muted small empty", text: empty }));
    const head = h("div", { class: "group-head" }, h("h3", { class: "group-name", text: title }));
    if (g) {
      const rename = h("button", { type: "button", class: "icon", text: "✎", "aria-label": `Rename ${g.name}`, title: "Rename" });
      on(rename, "click", () => this.rename(g, head));
      head.append(rename);
      if (!members.length) {
        const del = h("button", { type: "button", class: "icon", text: "×", "aria-label": `Delete ${g.name}`, title: "Delete this empty group" });
        on(del, "click", async () => {
          try {
            await roundsApi.deleteGroup(this.workshopId, g.id);
            this.reload();
          } catch (x) {
            showError(x);
          }
        });
        head.append(del);
      }
    }
    const col = h("div", { class: `group-col${g ? "" : " unassigned"}`, "data-group": g ? g.id : "none" }, head, list);
    on(col, "dragover", (e) => {
      if (!e.dataTransfer?.types.includes(DRAG_TYPE)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = "move";
      col.classList.add("drop-target");
    });
    on(col, "dragleave", (e) => {
      if (!col.contains(e.relatedTarget as Node | null)) col.classList.remove("drop-target");
    });
    on(col, "drop", (e) => {
      col.classList.remove("drop-target");
      const id = Number(e.dataTransfer?.getData(DRAG_TYPE));
      if (!id) return;
      e.preventDefault();
      void this.move(id, g ? g.id : null);
    });
    return col;
  }

  private rename(g: Group, head: HTMLElement): void {
    const input = h("input", { value: g.name, maxlength: 60, "aria-label": `New name of ${g.name}` });
    const f = h("form", { class: "rename" }, input, h("button", { type: "submit", class: "primary", text: "Save" }));
    on(f, "submit", async (e) => {
      e.preventDefault();
      try {
        await roundsApi.renameGroup(this.workshopId, g.id, input.value.trim());
        this.reload();
      } catch (x) {
        showError(x);
      }
    });
    on(input, "keydown", (e) => {
      if (e.key === "Escape") this.reload();
    });
    head.replaceChildren(f);
    input.focus();
    input.select();
  }

  /** The drag is over (dropped or not): draw the state that arrived during it, if any. */
  private dragEnded(): void {
    this.dragging = false;
    const home = this.deferred;
    this.deferred = null;
    if (home) this.update(home);
  }

  /** Move a person to a group (null: out of every group); the page re-reads on the event.
   * What became of their own trees (moved with them, or kept by the old group because its
   * round was merged already) stays written above the groups until the next move. */
  async move(participant: number, group: number | null): Promise<void> {
    try {
      const moved = await roundsApi.move(this.workshopId, participant, group);
      this.note.textContent = moved.message;
      this.note.hidden = !moved.message;
      this.note.classList.toggle("kept", moved.trees.some((t) => t.outcome !== "follows"));
      this.reload();
    } catch (x) {
      showError(x);
    }
  }

  private async draw(): Promise<void> {
    const home = this.home;
    if (home?.groups.some((g) => g.members.length) && !confirm("Draw new groups for everyone? The current groups are replaced.")) return;
    this.drawBtn.disabled = true;
    try {
      const r = await roundsApi.draw(this.workshopId, Number(this.size.value) as 2 | 3);
      toast(`${r.groups.length} group${r.groups.length === 1 ? "" : "s"} drawn.`);
      this.reload();
    } catch (x) {
      showError(x);
    } finally {
      this.drawBtn.disabled = false;
    }
  }

  /** The keyboard way: a "Group" select for one person's row in the list of people. */
  groupSelect(p: ParticipantInGroup): HTMLElement | null {
    const home = this.home;
    if (!home || p.role !== "participant") return null;
    const current = home.groups.find((g) => g.members.includes(p.id))?.id ?? null;
    const sel = h(
      "select",
      { "aria-label": `Group of ${p.display_name}`, class: "group-select", "data-focus-key": `group-${p.id}` },
      h("option", { value: "", text: "No group" }),
      ...home.groups.map((g) => h("option", { value: String(g.id), text: g.name })),
    );
    sel.value = current === null ? "" : String(current);
    on(sel, "change", () => void this.move(p.id, sel.value ? Number(sel.value) : null));
    return sel;
  }
}
