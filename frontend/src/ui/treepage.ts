/**
 * The page of one tree: header with presence, find bar, outliner, details, graph and analysis tabs.
 *
 * By concern: treepage-panels.ts (find bar, breadcrumbs, details panel), treepage-layout.ts
 * (header, tabs, help, page keys); this module wires the sync engine, the connection, presence,
 * leaving and the sync events.
 */
import { api, ApiError } from "../api";
import { Connection, type ConnState, treeSocketUrl } from "../connection";
import { TYPE_INFO, typesOf } from "../core/grammar";
import { type ConflictInfo, SyncEngine } from "../core/sync";
import { h, on, reserveBottom, toast } from "./dom";
import { explain, Outliner, short } from "./outliner";
import { AnalysisController } from "./analysis";
import { isMergedTree } from "./fork";
import { BEAT_MS, type Outbox } from "../core/outbox";
import { personName } from "../core/people";
import { outboxFor, sendOrphans } from "./leave";
import { TreePageLayout } from "./treepage-layout";
import { WorkshopStrip } from "./treepage-workshop";
import type { PageContext } from "./treepage-panels";

export type { PageContext } from "./treepage-panels";

/** After this long without a key press, "typing" turns off for the others. */
const TYPING_IDLE_MS = 2500;

export class TreePage extends TreePageLayout {
  readonly el: HTMLElement;

  constructor(treeId: number, ctx: PageContext) {
    super(treeId, ctx);
    this.outbox = outboxFor(ctx.me.id);
    this.engine = new SyncEngine({
      send: (m) => this.conn.send(m),
      onReset: () => this.onReset(),
      onChanges: (changes) => {
        this.outliner.applyChanges(changes);
        if (changes.some((c) => c.group === "tags" || c.group === "exists" || c.group === "deleted")) this.scheduleTagOptions();
        const relabelled = this.analysis.onChanges(changes);
        // The panel does not show the node's text: a text change (the draft flushed when one
        // clicks from the row into the tag field) must not rebuild it under the click.
        if (this.detailsFor && (changes.some((c) => c.id === this.detailsFor && c.group !== "text") || relabelled.includes(this.detailsFor)))
          this.renderDetails();
        this.markGraphDirty();
      },
      onReject: (op, code, message) => {
        // Typing in a node someone deleted is told by onConflict, with a way back.
        if (op.kind === "text" && code === "deleted") return;
        toast(`Your change was not saved: ${explain(code, message)}`, { kind: "error" });
      },
      onConflict: (info) => this.onConflict(info),
      onReplaced: (info) => this.onReplaced(info),
      onRemoteDelete: (id, actor) => this.onRemoteDelete(id, actor),
      onPresence: (all) => this.onPresence(all),
      onWelcome: (u, role) => {
        this.members.set(u.id, personName(u));
        this.renderMe();
        // Presence goes after the hello has been answered (before it the server has nothing
        // to attach it to); the hello itself already shows us to the others.
        if (this.myPresence.node) this.sendPresence();
        this.setRole(role);
        this.onPresence(this.engine.presence);
      },
      // Once per connection, not per welcome, nor per snapshot (after a welcome, or a repair).
      onJoined: () => {
        this.analysis.onJoined();
        this.tagsOnJoined();
      },
      onRole: (role) => this.setRole(role),
      onError: (code, message) => {
        if (code !== "rate_limited") toast(explain(code, message), { kind: "error" });
      },
      onPendingChange: () => {
        this.saveOutbox();
        this.renderStatus();
      },
      onNote: (id, note, mine) => this.onNoteLogged(id, note, mine),
      fetchSnapshot: () => api.snapshot(this.treeId).finally(() => performance.mark("gt:snapshot-parsed")),
    });
    this.conn = new Connection(treeSocketUrl(treeId), (s, code) => this.onConnState(s, code));
    this.conn.engine = this.engine;
    this.conn.onOther = (m) => {
      if (m.type === "tags") this.onTagsRenamed(m as unknown as { renamed?: { from: string[]; to: string } });
      else this.analysis.onMessage(m);
    };
    this.analysis = new AnalysisController({
      treeId,
      engine: this.engine,
      outliner: () => this.outliner,
      showTab: (k) => this.showTab(k),
      navigate: (p) => this.ctx.navigate(p),
      userName: (id) => this.userName(id),
      memberName: (id) => (id === this.ctx.me.id ? this.myName() : (this.members.get(id) ?? `user ${id}`)),
      onTitles: () => this.detailsFor && this.renderDetails(),
      workshop: () => this.summary?.workshop?.id ?? null,
      knownNames: (names) => {
        for (const [id, name] of names) if (!this.members.has(id)) this.members.set(id, name);
      },
    });
    this.outliner = new Outliner(this.engine, treeId, {
      onFocusNode: (id, editing) => {
        this.setPresence({ node: id, editing, typing: false });
        this.detailsFor = id;
        this.renderDetails();
      },
      onZoom: (id) => {
        this.renderCrumbs();
        this.pushZoom(id);
      },
      userName: (id) => this.userName(id),
      badge: (n) => this.analysis.badge(n),
      onTyping: (id) => {
        this.onTyping(id);
        this.renderStatus();
      },
      onDraftSettled: () => this.renderStatus(),
    });
    this.help = this.buildHelp();
    this.el = this.build();
    this.strip = new WorkshopStrip((p) => this.ctx.navigate(p));
    this.bannerEl.before(this.strip.el);
    this.removers.push(this.listenGlobalKeys(), this.listenLeave());
  }

  start(): void {
    void this.loadMeta();
    // The first load goes over HTTP; the socket then says hello {since: seq} and streams ops.
    this.takeOutbox()
      .catch(() => undefined)
      .then(() => this.engine.preload())
      .catch(() => undefined)
      .finally(() => {
        if (!this.destroyed) this.conn.start();
      });
  }

  /**
   * Edits an earlier page of this tree left unsent (reload, Back, a closed tab): this page takes
   * them over with their client id and numbers (core/outbox.ts); otherwise it holds its own.
   */
  private async takeOutbox(): Promise<void> {
    const r = await this.outbox.take(this.treeId);
    if (r && !this.destroyed) this.engine.adopt(r.client, r.n, r.ops, r.typing);
    else if (r) this.outbox.letGo(r.tree, r.client);
    else await this.outbox.hold(this.engine.clientId);
  }

  private destroyed = false;
  private outbox: Outbox;
  /** A workshop exercise's tree: the way back to the workshop and the round's time left. */
  private strip: WorkshopStrip;
  /** Where this user's cursor is, as last told to the others. */
  private myPresence: { node: string | null; editing: boolean; typing: boolean } = { node: null, editing: false, typing: false };
  private typingTimer: number | null = null;

  private setPresence(p: { node: string | null; editing: boolean; typing: boolean }): void {
    const old = this.myPresence;
    this.myPresence = p;
    if (old.node !== p.node || old.editing !== p.editing || old.typing !== p.typing) this.sendPresence();
  }

  private sendPresence(): void {
    // Only on a welcomed socket (the engine's `joined`, true from onWelcome on).
    if (this.engine.joined) this.conn.send({ type: "presence", ...this.myPresence });
  }

  /** Keys pressed in a node: the others see "typing" until a short pause. */
  private onTyping(id: string): void {
    if (this.typingTimer !== null) clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => {
      this.typingTimer = null;
      if (this.myPresence.typing) this.setPresence({ ...this.myPresence, typing: false });
    }, TYPING_IDLE_MS);
    if (!this.myPresence.typing || this.myPresence.node !== id) this.setPresence({ node: id, editing: true, typing: true });
  }

  destroy(): void {
    // Leaving the page in the app (Back, a link): what is unsent stays in the outbox, released
    // for the app to send (main.ts) or the next page of this tree to adopt.
    this.flushEdits();
    this.outbox.letGo(this.treeId, this.engine.clientId);
    this.destroyed = true;
    if (this.typingTimer !== null) clearTimeout(this.typingTimer);
    this.conn.stop();
    this.strip.destroy();
    this.graph?.destroy();
    this.analysis.destroy();
    for (const r of this.removers) r();
    this.help.remove();
    reserveBottom("details", 0);
  }

  // ------------------------------------------------------------------ zoom history

  private poppingZoom = false;

  /** Each zoom is a history entry, so the browser's Back zooms out instead of leaving. */
  private pushZoom(id: string | null): void {
    if (this.poppingZoom) return;
    const cur = (history.state as { gtTree?: number; zoom?: string | null } | null) ?? null;
    if ((cur?.zoom ?? null) === id) return;
    history.pushState({ gtTree: this.treeId, zoom: id }, "", location.pathname);
  }

  /** A popstate on this tree's page: restore its zoom. False when it is not ours to handle. */
  handlePopState(state: unknown): boolean {
    if (location.pathname.replace(/\/$/, "") !== `/app/trees/${this.treeId}`) return false;
    const st = (state ?? null) as { gtTree?: number; zoom?: string | null } | null;
    if (st && st.gtTree !== undefined && st.gtTree !== this.treeId) return false;
    const z = st?.zoom ?? null;
    const v = this.engine.view;
    this.poppingZoom = true;
    try {
      this.outliner.setZoom(z && v?.get(z) && !v.get(z)!.deleted ? z : null);
    } finally {
      this.poppingZoom = false;
    }
    return true;
  }

  /** Test and benchmark hook: the engine's state, read-only use. */
  get debug(): { engine: SyncEngine; outliner: Outliner } {
    return { engine: this.engine, outliner: this.outliner };
  }

  private async loadMeta(): Promise<void> {
    try {
      const [summary, members] = await Promise.all([api.tree(this.treeId), api.members(this.treeId)]);
      this.summary = summary;
      this.titleEl.textContent = summary.title;
      document.title = `${summary.title} · Gametree`;
      this.kindEl.textContent = summary.kind === "game" ? "Game tree" : "Problem tree";
      this.kindEl.className = `kind k-${summary.kind}`;
      this.strip.show(summary.workshop ?? null);
      if (summary.workshop) this.analysis.workshopKnown();
      this.setMembers(members);
      this.memberList = members;
      this.renderForkButton();
      this.analysis.refreshDrawn();
    } catch (e) {
      // Missing or not shared (the server does not say which): the socket is refused too.
      if (e instanceof ApiError && (e.status === 404 || e.status === 403)) this.showNotFound();
      else toast(`Could not load the tree: ${(e as Error).message}`, { kind: "error" });
    }
  }

  private notFound = false;

  /**
   * A tree this user cannot read, never loaded: a page that says so and leads back, instead
   * of an empty editor whose buttons (Trash, Versions, Download…) could only fail.
   */
  private showNotFound(): void {
    if (this.notFound || this.loaded || this.destroyed) return;
    this.notFound = true;
    this.conn.stop();
    const back = h("a", { href: "/", text: "Back to my trees" });
    on(back, "click", (e) => {
      e.preventDefault();
      this.ctx.navigate("/");
    });
    document.title = "Tree not found · Gametree";
    this.el.className = "treepage not-found";
    this.el.replaceChildren(
      h(
        "main",
        { class: "center" },
        h(
          "div",
          { class: "card not-found" },
          h("h1", { text: "Tree not found" }),
          h("p", { text: "This tree does not exist or is not shared with you." }),
          h("p", { class: "muted", text: "If someone meant to share it, ask them to add you or to send you its share link." }),
          h("p", {}, back),
        ),
      ),
    );
    back.focus();
  }
  // ------------------------------------------------------------------ leaving

  /** Edits not acknowledged by the server yet, typed text not yet sent included. */
  unsaved(): number {
    return this.engine.unsent().length + (this.outliner.hasDraft ? 1 : 0) + (this.noteDraft ? 1 : 0);
  }

  /** Turn typed text into ops now and record everything unsent in the outbox. */
  private flushEdits(): void {
    this.outliner.flushDraft();
    this.noteDraft?.();
    this.saveOutbox();
  }

  private saveOutbox(): void {
    this.outbox.save(this.treeId, this.engine.clientId, this.engine.opNumber, this.engine.unsent(), this.engine.unsentTyping());
  }

  private listenLeave(): () => void {
    const beforeUnload = (e: BeforeUnloadEvent) => {
      this.flushEdits();
      if (this.unsaved() > 0) {
        // The browser asks "Leave site?"; leaving anyway keeps the edits in the outbox.
        e.preventDefault();
        e.returnValue = "";
      }
    };
    const pageHide = () => {
      this.flushEdits();
      this.outbox.letGo(this.treeId, this.engine.clientId);
    };
    const pageShow = (e: PageTransitionEvent) => {
      if (e.persisted) void this.outbox.hold(this.engine.clientId).then(() => this.saveOutbox());
    };
    const hidden = () => {
      if (document.visibilityState === "hidden") this.flushEdits();
    };
    const beat = window.setInterval(() => {
      this.outbox.beat(this.treeId, this.engine.clientId);
      this.renderStatus();
      // A page of this user that went without saying so (closed tab, crash): send its edits.
      if (this.connState === "online") void sendOrphans(this.outbox);
    }, BEAT_MS);
    window.addEventListener("beforeunload", beforeUnload);
    window.addEventListener("pagehide", pageHide);
    window.addEventListener("pageshow", pageShow);
    document.addEventListener("visibilitychange", hidden);
    return () => {
      clearInterval(beat);
      window.removeEventListener("beforeunload", beforeUnload);
      window.removeEventListener("pagehide", pageHide);
      window.removeEventListener("pageshow", pageShow);
      document.removeEventListener("visibilitychange", hidden);
    };
  }
  // ------------------------------------------------------------------ sync events

  private onReset(): void {
    performance.mark("gt:state-ready");
    const v = this.engine.view!;
    if (!this.loaded) {
      this.loaded = true;
      for (const t of typesOf(v.kind)) this.typeSelect.append(h("option", { value: t, text: TYPE_INFO[t].label }));
      this.unpatchedLabel.hidden = v.kind !== "game";
      this.fillTagOptions();
    } else {
      // A snapshot (a reconnect too far behind, a repair) may hold other tags: no op says so.
      this.scheduleTagOptions();
    }
    if (this.outliner.zoom && !v.get(this.outliner.zoom)) this.outliner.zoom = null;
    this.analysis.onReset();
    this.noteReloaded();
    this.merged = v.kind === "problem" && isMergedTree(v.nodes.values());
    this.renderForkButton();
    this.outliner.renderAll(() => {
      document.body.dataset.treeCompleteAt = String(performance.now());
      this.analysis.onRendered();
    });
    if (this.detailsFor) this.renderDetails();
    this.renderCrumbs();
    this.markGraphDirty();
    document.body.dataset.treeReady = "1";
    document.body.dataset.treeRenderedAt = String(performance.now());
    // For the load benchmark: when the first frame after the render has been painted.
    requestAnimationFrame(() =>
      setTimeout(() => (document.body.dataset.treePaintedAt = String(performance.now())), 0),
    );
  }

  private setRole(role: string): void {
    const ro = role === "viewer";
    this.renameTagsBtn.hidden = ro;
    if (this.outliner.readOnly !== ro) {
      this.outliner.readOnly = ro;
      if (this.engine.view) this.outliner.renderAll();
    }
    this.renderForkButton();
    this.renderStatus();
  }

  private onConnState(s: ConnState, code?: number): void {
    this.connState = s;
    if (s === "closed") {
      // "Closed" in the header: it kept the "Saved" of the socket the server just closed.
      this.renderStatus();
      // 4403 is also what a tree never shared (or missing) gets: the page never loaded it.
      if (!this.loaded) {
        this.showNotFound();
        return;
      }
      this.bannerEl.hidden = false;
      this.bannerEl.className = "banner error";
      this.bannerEl.textContent = code === 4403 ? "You no longer have access to this tree." : "This tree does not exist.";
      return;
    }
    this.renderStatus();
  }
  /** Someone else deleted a subtree: tell whoever was in it, naming the node and the person. */
  private onRemoteDelete(id: string, actor: number | null): void {
    const v = this.engine.view;
    const root = v?.get(id);
    if (!v || !root || root.deleted) return;
    const mine = [this.outliner.active, this.detailsFor].filter((x): x is string => !!x);
    const hit = mine.find((x) => v.get(x) && !v.get(x)!.deleted && v.isAncestorOrSelf(id, x));
    if (!hit) return;
    const who = actor === null ? "Someone" : this.userName(actor);
    const where = hit === id ? "the node you were editing" : "the branch holding the node you were editing";
    this.toldDeleted.set(hit, Date.now());
    toast(`${who === "you" ? "You (in another window)" : who} deleted “${short(root.text, 60)}”, ${where}.`, {
      kind: "warn",
      ms: 15000,
      actions: this.outliner.readOnly
        ? []
        : [{ label: "Restore it", run: () => this.outliner.edit([{ kind: "restore", id }]) }],
    });
  }

  /** Nodes whose deletion was just told (onRemoteDelete), so a refused keystroke is not told twice. */
  private readonly toldDeleted = new Map<string, number>();

  /** A structural conflict: name the node and the other person, offer the way back. */
  private onConflict(info: ConflictInfo): void {
    const v = this.engine.view;
    const n = v?.get(info.id);
    if (!v || !n) return;
    if (info.kind === "edit-deleted" && Date.now() - (this.toldDeleted.get(info.id) ?? 0) < 30_000) return;
    const label = `“${short(n.text) || TYPE_INFO[n.type].label.toLowerCase()}”`;
    const who = this.userName(info.actor);
    const restore = () => {
      // The node may have gone with a deleted ancestor: bring back what that delete took.
      let root = n;
      for (let p = root.parent ? v.get(root.parent) : undefined; p?.deleted; p = p.parent ? v.get(p.parent) : undefined) root = p;
      if (!this.outliner.edit([{ kind: "restore", id: root.id }])) return;
      const typed = info.text;
      if (typed !== undefined && typed !== v.get(info.id)?.text) {
        try {
          this.engine.editText(info.id, typed);
        } catch {
          /* the restore was refused meanwhile: its toast says why */
        }
      }
    };
    // Typing that could not be placed is offered back, never dropped without a word.
    const copy = { label: "Copy your text", run: () => void copyText(info.text ?? "") };
    if (info.kind === "edit-deleted") {
      const lost = info.text && info.text !== n.text ? ` Your text “${short(info.text, 60)}” was not saved.` : "";
      toast(`${who[0].toUpperCase()}${who.slice(1)} deleted ${label} while you were editing it.${lost}`, {
        kind: "warn",
        ms: lost ? 60000 : 20000,
        actions: lost ? [{ label: "Restore with your text", run: restore }, copy] : [{ label: "Restore", run: restore }],
      });
    } else if (info.kind === "too-long") {
      toast(`Your typing in ${label} could not be put back: the text would be too long.`, {
        kind: "warn",
        ms: 60000,
        actions: [copy],
      });
    } else if (info.kind === "deleted-while-editing") {
      // They may have been in a node below the one deleted: name theirs, and the branch.
      const theirs = info.node && info.node !== info.id ? v.get(info.node) : undefined;
      const where = theirs
        ? `“${short(theirs.text) || TYPE_INFO[theirs.type].label.toLowerCase()}” in ${label}`
        : label;
      toast(`${who} was editing ${where} when you deleted it.`, {
        kind: "warn",
        ms: 20000,
        actions: [{ label: "Undo delete", run: restore }],
      });
    } else if (info.back) {
      const back = info.back;
      const put = () => this.outliner.edit([{ kind: "move", id: info.id, parent: back.parent, key: back.key, type: back.type }]);
      toast(
        info.mineWon
          ? `${who} had just moved ${label}; your move came after theirs and stands.`
          : `${who} moved ${label} right after you did; it stays where they put it.`,
        { kind: "warn", ms: 20000, actions: [{ label: info.mineWon ? "Put theirs back" : "Put mine back", run: put }] },
      );
    }
  }

  private onReplaced(info: { id: string; field: string; mine: unknown; theirs: unknown; actor: number | null }): void {
    const n = this.engine.view?.get(info.id);
    if (!n) return;
    const what = info.field === "text" ? `your text “${short(String(info.mine))}”` : `your ${info.field}`;
    toast(`${this.userName(info.actor)} edited the same node at the same time and replaced ${what}.`, {
      kind: "warn",
      actions: [
        {
          label: "Put mine back",
          run: () =>
            this.outliner.edit([{ kind: "set", id: info.id, field: info.field as "text", value: info.mine as string }]),
        },
      ],
    });
  }
}

/** Put `text` on the clipboard; where the browser refuses, show it to be copied by hand. */
async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast("Copied.");
  } catch {
    toast(`Copy it by hand: ${text}`, { ms: 60000 });
  }
}
