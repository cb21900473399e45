/**
 * The graph view: Cytoscape.js with the dagre layered layout, loaded on demand so the outliner
 * stays light. Extra parents (problem-tree DAGs) are drawn as dashed edges. Labels are drawn on
 * a canvas, so user text is never parsed as HTML.
 */
import cytoscape from "cytoscape";
import dagre from "cytoscape-dagre";
import type { TreeState } from "../core/state";

cytoscape.use(dagre);

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
  const t = text.length > 60 ? text.slice(0, 59) + "…" : text || "(empty)";
  return `${ICONS[type] ?? ""} ${type.toUpperCase()}\n${t}`;
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
      wheelSensitivity: 0.3,
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
            "text-max-width": "180px",
            "font-size": 11,
            "font-family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif",
            color: "#1f2937",
            "text-valign": "center",
            "text-halign": "center",
            width: 200,
            height: 56,
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
    for (const n of s.nodes.values()) {
      if (n.deleted) continue;
      els.push({ group: "nodes", data: { id: n.id, label: label(n.text, n.type), color: COLORS[n.type], tint: TINTS[n.type] } });
    }
    for (const n of s.nodes.values()) {
      if (n.deleted) continue;
      if (n.parent && !s.get(n.parent)?.deleted)
        els.push({ group: "edges", data: { id: `e:${n.parent}:${n.id}`, source: n.parent, target: n.id } });
      for (const p of n.parents)
        if (s.get(p) && !s.get(p)!.deleted)
          els.push({ group: "edges", data: { id: `x:${p}:${n.id}`, source: p, target: n.id }, classes: "extra" });
    }
    this.cy.batch(() => {
      this.cy.elements().remove();
      this.cy.add(els);
    });
    this.cy
      .layout({ name: "dagre", rankDir: "LR", nodeSep: 12, rankSep: 60, animate: false } as cytoscape.LayoutOptions)
      .run();
    this.fit();
  }

  /** Fit the graph, but never so small that labels cannot be read: then show its start. */
  fit(): void {
    this.cy.fit(undefined, 30);
    if (this.cy.zoom() < 0.6) {
      const bb = this.cy.elements().boundingBox();
      this.cy.zoom(0.6);
      this.cy.pan({ x: 30 - bb.x1 * 0.6, y: 30 - bb.y1 * 0.6 });
    }
  }

  destroy(): void {
    this.resizer.disconnect();
    this.cy.destroy();
    this.host.replaceChildren();
  }
}
