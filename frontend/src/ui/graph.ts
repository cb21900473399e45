/**
 * The graph view: Cytoscape.js, loaded on demand so the outliner stays light. Laid out left to
 * right in the outline's own order (a node's children top to bottom as in the outline, each
 * parent centred on its children), so the two views read the same; extra parents
 * (problem-tree DAGs) are dashed edges. Labels are drawn on a canvas, so user text is never
 * parsed as HTML, at a size that stays legible when the whole graph is fitted (MIN_FIT_ZOOM).
 * On a phone the whole tree is fitted instead, however small: a map of it to pinch into.
 */
import cytoscape from "cytoscape";
import type { TreeState } from "../core/state";
import { keyboardLikely } from "./dom";

const COLORS: Record<string, string> = {
  proposal: "#2563eb",
  critique: "#dc2626",
  patch: "#16a34a",
  problem: "#7c3aed",
};
const TINTS: Record<string, string> = {
  proposal: "#eff6ff",
  critique: "#fef2f2",
  patch: "#f0fdf4",
  problem: "#f5f3ff",
};
const ICONS: Record<string, string> = { proposal: "◆", critique: "✕", patch: "✚", problem: "●" };

function label(text: string, type: string): string {
  const t = text.length > 90 ? text.slice(0, 89) + "…" : text || "(empty)";
  return `${ICONS[type] ?? ""} ${type.toUpperCase()}\n${t}`;
}

/** Label size in graph units, and the smallest zoom `fit()` goes to: 15 x 0.8 = 12 px on screen. */
const FONT = 15;
const MIN_FIT_ZOOM = 0.8;
/**
 * Below this size on screen labels are not drawn: the graph is drawn as a map instead, boxes
 * filled with their type's colour and thicker edges (MAP_ZOOM), until one zooms back in.
 */
const MIN_DRAWN_FONT_PX = 6;
const MAP_ZOOM = MIN_DRAWN_FONT_PX / FONT;
/**
 * The phone layout's width (style.css). There a column at 12 px (264 px) leaves no room for
 * the next one, so showing the tree's start at a legible size hides its shape: the whole tree is
 * fitted instead, and pinching zooms in.
 */
const PHONE = "(max-width: 820px)";
const NODE_W = 260;
const NODE_H = 78;
const COL = NODE_W + 70;
const ROW = NODE_H + 14;
/** Space around the fitted graph, in screen pixels (less on a phone's narrow screen). */
const PAD = 30;
const PHONE_PAD = 12;

/** Positions in outline order: depth -> x, leaves one row each, a parent centred on its children. */
export function outlinePositions(s: TreeState): Map<string, { x: number; y: number }> {
  const pos = new Map<string, { x: number; y: number }>();
  let row = 0;
  const place = (id: string, depth: number): number => {
    const kids = s.liveChildren(id).filter((c) => !pos.has(c.id));
    let y: number;
    pos.set(id, { x: 0, y: 0 }); // reserved: a transient cycle cannot recurse forever
    if (!kids.length) y = row++ * ROW;
    else {
      const ys = kids.map((c) => place(c.id, depth + 1));
      y = (ys[0] + ys[ys.length - 1]) / 2;
    }
    pos.set(id, { x: depth * COL, y });
    return y;
  };
  for (const top of s.liveChildren(null)) place(top.id, 0);
  return pos;
}

export class GraphView {
  private cy: cytoscape.Core;
  private box: HTMLDivElement;

  constructor(
    private readonly host: HTMLElement,
    private readonly state: () => TreeState,
    private readonly onPick: (id: string) => void,
  ) {
    const bar = document.createElement("div");
    bar.className = "graph-bar";
    const fit = document.createElement("button");
    fit.type = "button";
    fit.className = "subtle";
    fit.textContent = "Fit all";
    fit.addEventListener("click", () => this.cy.fit(undefined, window.matchMedia(PHONE).matches ? PHONE_PAD : PAD));
    const hint = document.createElement("span");
    hint.className = "muted small";
    hint.textContent = keyboardLikely()
      ? "Scroll to zoom, drag to pan, click a node to open it in the outline."
      : "Pinch to zoom, drag to pan, tap a node to open it in the outline.";
    bar.append(fit, hint);
    this.box = document.createElement("div");
    this.box.className = "graph";
    this.box.setAttribute("role", "img");
    this.box.setAttribute("aria-label", "Graph of the tree");
    host.append(bar, this.box);
    this.cy = cytoscape({
      container: this.box,
      elements: [],
      // Low enough to fit a tree of a few hundred rows into a phone turned sideways.
      minZoom: 0.01,
      maxZoom: 3,
      // No wheelSensitivity: the library's own wheel speed tells mice from trackpads itself
      // (and it warns in the console about any other setting).
      style: [
        {
          selector: "node",
          style: {
            shape: "round-rectangle",
            "background-color": "data(tint)",
            "border-width": 2,
            "border-color": "data(color)",
            label: "data(label)",
            "text-wrap": "wrap",
            "text-max-width": `${NODE_W - 20}px`,
            "font-size": FONT,
            "min-zoomed-font-size": MIN_DRAWN_FONT_PX,
            "font-family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
            color: "#1f2937",
            "text-valign": "center",
            "text-halign": "center",
            width: NODE_W,
            height: NODE_H,
          },
        },
        { selector: "node:selected", style: { "border-width": 4, "background-color": "#f8fafc" } },
        {
          selector: "edge",
          style: {
            width: 1.5,
            "line-color": "#cbd5e1",
            "target-arrow-color": "#cbd5e1",
            "target-arrow-shape": "triangle",
            "curve-style": "bezier",
          },
        },
        { selector: "edge.extra", style: { "line-style": "dashed", "line-color": "#a78bfa", "target-arrow-color": "#a78bfa" } },
        { selector: "node.map", style: { "background-color": "data(color)", "border-width": 0 } },
        { selector: "edge.map", style: { width: 8, "arrow-scale": 0.5, "line-color": "#94a3b8", "target-arrow-color": "#94a3b8" } },
        { selector: "edge.map.extra", style: { "line-color": "#a78bfa", "target-arrow-color": "#a78bfa" } },
      ],
    });
    this.cy.on("tap", "node", (ev) => this.onPick(ev.target.id()));
    this.cy.on("zoom", () => this.drawAsMap());
    this.resizer = new ResizeObserver(() => {
      if (this.box.clientWidth === 0) return;
      this.cy.resize();
      this.fit();
    });
    this.resizer.observe(this.box);
    this.update();
  }

  private resizer: ResizeObserver;
  /** Whether the elements are drawn as a map (their `map` class), null when not decided yet. */
  private mapped: boolean | null = null;

  private drawAsMap(): void {
    const far = this.cy.zoom() < MAP_ZOOM;
    if (far === this.mapped) return;
    this.mapped = far;
    this.cy.batch(() => (far ? this.cy.elements().addClass("map") : this.cy.elements().removeClass("map")));
  }

  update(): void {
    const s = this.state();
    const els: cytoscape.ElementDefinition[] = [];
    const pos = outlinePositions(s);
    for (const [id, position] of pos) {
      const n = s.get(id)!;
      els.push({
        group: "nodes",
        data: { id: n.id, label: label(n.text, n.type), color: COLORS[n.type], tint: TINTS[n.type] },
        position: { ...position },
      });
    }
    for (const id of pos.keys()) {
      const n = s.get(id)!;
      if (n.parent && pos.has(n.parent))
        els.push({ group: "edges", data: { id: `e:${n.parent}:${n.id}`, source: n.parent, target: n.id } });
      for (const p of n.parents)
        if (pos.has(p))
          els.push({ group: "edges", data: { id: `x:${p}:${n.id}`, source: p, target: n.id }, classes: "extra" });
    }
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(els);
    });
    this.mapped = null; // the new elements have no class yet
    this.fit();
    this.drawAsMap();
  }

  /**
   * Fit the graph. On a wider screen never so small that labels cannot be read: then show its
   * start. On a phone all of it (see PHONE).
   */
  fit(): void {
    const phone = window.matchMedia(PHONE).matches;
    this.cy.fit(undefined, phone ? PHONE_PAD : PAD);
    if (phone || this.cy.zoom() >= MIN_FIT_ZOOM) return;
    const bb = this.cy.elements().boundingBox();
    this.cy.zoom(MIN_FIT_ZOOM);
    this.cy.pan({ x: PAD - bb.x1 * MIN_FIT_ZOOM, y: PAD - bb.y1 * MIN_FIT_ZOOM });
  }

  destroy(): void {
    this.resizer.disconnect();
    this.cy.destroy();
    this.host.replaceChildren();
  }
}
