/**
 * The graph view: Cytoscape.js, loaded on demand so the outliner stays light. Laid out left to
 * right in the outline's own order (a node's children top to bottom as in the outline, each
 * parent centred on its children), so the two views read the same; extra parents
 * (problem-tree DAGs) are dashed edges. Labels are drawn on a canvas, so user text is never
 * parsed as HTML, at a size that stays legible when the whole graph is fitted (MIN_FIT_ZOOM).
 */
import cytoscape from "cytoscape";
import type { TreeState } from "../core/state";

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
const NODE_W = 260;
const NODE_H = 78;
const COL = NODE_W + 70;
const ROW = NODE_H + 14;

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
    fit.textContent = "Fit";
    fit.addEventListener("click", () => this.cy.fit(undefined, 30));
    fit.textContent = "Fit all";
    const hint = document.createElement("span");
    hint.className = "muted small";
    hint.textContent = "Scroll to zoom, drag to pan, click a node to open it in the outline.";
    bar.append(fit, hint);
    this.box = document.createElement("div");
    this.box.className = "graph";
    this.box.setAttribute("role", "img");
    this.box.setAttribute("aria-label", "Graph of the tree");
    host.append(bar, this.box);
    this.cy = cytoscape({
      container: this.box,
      elements: [],
      // The library's own wheel speed: it tells mice from trackpads itself (and warns in the
      // console about any other setting).
      minZoom: 0.05,
      maxZoom: 3,
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
      ],
    });
    this.cy.on("tap", "node", (ev) => this.onPick(ev.target.id()));
    this.resizer = new ResizeObserver(() => {
      if (this.box.clientWidth === 0) return;
      this.cy.resize();
      this.fit();
    });
    this.resizer.observe(this.box);
    this.update();
  }

  private resizer: ResizeObserver;

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
    this.fit();
  }

  /** Fit the graph, but never so small that labels cannot be read: then show its start. */
  fit(): void {
    this.cy.fit(undefined, 30);
    if (this.cy.zoom() < MIN_FIT_ZOOM) {
      const bb = this.cy.elements().boundingBox();
      this.cy.zoom(MIN_FIT_ZOOM);
      this.cy.pan({ x: 30 - bb.x1 * MIN_FIT_ZOOM, y: 30 - bb.y1 * MIN_FIT_ZOOM });
    }
  }

  destroy(): void {
    this.resizer.disconnect();
    this.cy.destroy();
    this.host.replaceChildren();
  }
}
