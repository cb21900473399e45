/**
 * Client core, DOM-free: does a proposal survive? The same grounded labelling as the server's
 * `trees/analysis/survival.py` (docs/analysis.md, "Survival").
 *
 * A critique attacks its parent (a proposal or a patch); a patch attacks the critique it
 * answers. A node is IN ("survives") once every attacker is OUT, OUT ("broken") once one
 * attacker is IN, and whatever is left is UNDEC ("contested", only possible with attack cycles,
 * which game trees cannot have). On a tree this is the AND/OR evaluation "a proposal survives
 * iff every critique is answered by a surviving patch". Linear time: a 5,000-node tree is
 * relabelled from scratch in about a millisecond, so the UI simply recomputes after every
 * batch of applied ops and patches the rows whose label or reason changed.
 */
import type { TreeState } from "./state";
import type { NodeType } from "./types";
import { NOT_ATTACKED_REASON, type SurvivalStatus, UNATTACKED_REASONS } from "../generated/rules";

export type { SurvivalStatus };

export interface Survival {
  status: SurvivalStatus;
  /** One line, the same wording as the server's. */
  reason: string;
  /** Ids of the nodes that decided it: surviving attackers (broken), undecided ones (contested). */
  by: readonly string[];
}

/** The fields survival needs; `TreeNode` has all of them. */
export interface SurvivalInput {
  id: string;
  type: NodeType | string;
  parent: string | null;
  parents?: readonly string[];
  text: string;
  deleted?: boolean;
  key?: string;
}

const UNDEC = 0;
const IN = 1;
const OUT = 2;

// The line boundaries of Python's str.splitlines(), control characters included on purpose.
// eslint-disable-next-line no-control-regex
const LINE_BREAK = /[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/** First line of a text, cut to `limit` characters (code points), like the server's `short`. */
export function shortLine(text: string | null | undefined, limit = 80): string {
  const s = (text ?? "").trim();
  if (!s) return "";
  if (s.length <= limit && !LINE_BREAK.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  const line = s.split(/\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/)[0];
  const chars = Array.from(line);
  if (chars.length <= limit) return line;
  return chars.slice(0, limit - 1).join("").trimEnd() + "…";
}

// The server's wording (generated from trees/analysis/survival.py); one shared object per type.
const UNATTACKED: Record<string, Survival> = Object.fromEntries(
  Object.entries(UNATTACKED_REASONS).map(([type, reason]) => [type, { status: "survives", reason, by: [] }]),
);
const NOT_ATTACKED: Survival = { status: "survives", reason: NOT_ATTACKED_REASON, by: [] };

/** Sibling order (key, then id) for picking the attacker a reason names. */
function before(a: SurvivalInput, b: SurvivalInput): boolean {
  const ka = a.key ?? "";
  const kb = b.key ?? "";
  if (ka !== kb) return ka < kb;
  return a.id < b.id;
}

/** Survival of every live node: `Map<node id, Survival>`. Deleted nodes are left out. */
export function survival(nodes: Iterable<SurvivalInput>): Map<string, Survival> {
  // Flat typed arrays (no per-node arrays): relabelling 5,000 nodes must not churn the GC.
  const live: SurvivalInput[] = [];
  for (const n of nodes) if (!n.deleted) live.push(n);
  const count = live.length;
  const index = new Map<string, number>();
  for (let i = 0; i < count; i++) index.set(live[i].id, i);
  // Edges i -> t ("i attacks t"): a critique or patch attacks its parents.
  const from: number[] = [];
  const to: number[] = [];
  const attackCount = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const n = live[i];
    if (n.type !== "critique" && n.type !== "patch") continue;
    const extra = n.parents;
    if (!extra || extra.length === 0) {
      const t = n.parent === null ? undefined : index.get(n.parent);
      if (t === undefined) continue;
      from.push(i);
      to.push(t);
      attackCount[t]++;
      continue;
    }
    const seen: number[] = [];
    for (const p of [n.parent, ...extra]) {
      if (p === null) continue;
      const t = index.get(p);
      if (t === undefined || seen.includes(t)) continue;
      seen.push(t);
      from.push(i);
      to.push(t);
      attackCount[t]++;
    }
  }
  const g = new Graph(count, from, to, attackCount);
  const labels = g.groundedLabels();

  const out = new Map<string, Survival>();
  const ids = (idx: number[]): string[] => idx.map((j) => live[j].id);
  const first = (idx: number[]): SurvivalInput => {
    let best = live[idx[0]];
    for (let k = 1; k < idx.length; k++) if (before(live[idx[k]], best)) best = live[idx[k]];
    return best;
  };
  for (let i = 0; i < count; i++) {
    const n = live[i];
    const na = attackCount[i];
    if (na === 0) {
      out.set(n.id, UNATTACKED[n.type] ?? NOT_ATTACKED);
      continue;
    }
    const atk = g.attackersOf(i);
    const label = labels[i];
    if (label === OUT) {
      const winners = atk.filter((a) => labels[a] === IN);
      const verb = n.type === "critique" ? "answered by" : "broken by";
      out.set(n.id, { status: "broken", reason: `${verb}: ${shortLine(first(winners).text)}`, by: ids(winners) });
    } else if (label === UNDEC) {
      const open = atk.filter((a) => labels[a] === UNDEC);
      const text = open.length ? shortLine(first(open).text) : "";
      out.set(n.id, { status: "contested", reason: `contested: circular attacks via: ${text}`, by: ids(open) });
    } else if (n.type === "critique") {
      out.set(n.id, {
        status: "survives",
        reason: na === 1 ? `its patch is broken: ${shortLine(live[atk[0]].text)}` : `all ${na} patches are broken`,
        by: [],
      });
    } else {
      out.set(n.id, {
        status: "survives",
        reason: na === 1 ? `its critique is answered: ${shortLine(live[atk[0]].text)}` : `all ${na} critiques answered`,
        by: [],
      });
    }
  }
  return out;
}

/** The attack graph in compressed form: attackers and targets of node i as slices. */
class Graph {
  private readonly atkStart: Int32Array;
  private readonly atkList: Int32Array;
  private readonly tgtStart: Int32Array;
  private readonly tgtList: Int32Array;

  constructor(
    private readonly n: number,
    from: number[],
    to: number[],
    private readonly attackCount: Int32Array,
  ) {
    const m = from.length;
    this.atkStart = new Int32Array(n + 1);
    this.tgtStart = new Int32Array(n + 1);
    for (let e = 0; e < m; e++) this.tgtStart[from[e] + 1]++;
    for (let i = 0; i < n; i++) {
      this.atkStart[i + 1] = this.atkStart[i] + attackCount[i];
      this.tgtStart[i + 1] += this.tgtStart[i];
    }
    this.atkList = new Int32Array(m);
    this.tgtList = new Int32Array(m);
    const atkFill = this.atkStart.slice(0, n);
    const tgtFill = this.tgtStart.slice(0, n);
    for (let e = 0; e < m; e++) {
      this.atkList[atkFill[to[e]]++] = from[e];
      this.tgtList[tgtFill[from[e]]++] = to[e];
    }
  }

  attackersOf(i: number): number[] {
    return Array.from(this.atkList.subarray(this.atkStart[i], this.atkStart[i + 1]));
  }

  /** Grounded labelling in O(V + E) with the counting algorithm (Modgil & Caminada 2009). */
  groundedLabels(): Uint8Array {
    const { n, tgtStart, tgtList } = this;
    const count = this.attackCount.slice();
    const lab = new Uint8Array(n);
    const stack = new Int32Array(n);
    let top = 0;
    for (let i = 0; i < n; i++) {
      if (count[i] === 0) {
        lab[i] = IN;
        stack[top++] = i;
      }
    }
    while (top > 0) {
      const a = stack[--top];
      for (let e = tgtStart[a]; e < tgtStart[a + 1]; e++) {
        const t = tgtList[e];
        if (lab[t]) continue;
        lab[t] = OUT;
        for (let f = tgtStart[t]; f < tgtStart[t + 1]; f++) {
          const u = tgtList[f];
          if (lab[u]) continue;
          if (--count[u] === 0) {
            lab[u] = IN;
            stack[top++] = u;
          }
        }
      }
    }
    return lab;
  }
}

/**
 * Survival of one tree kept up to date: `update` relabels the whole tree (linear, cheap) and
 * returns the ids whose status or reason changed, so the UI only patches those rows.
 */
export class SurvivalTracker {
  private labels = new Map<string, Survival>();
  /** Milliseconds the last `update` took (shown nowhere; for profiling from the console). */
  lastMs = 0;

  get(id: string): Survival | undefined {
    return this.labels.get(id);
  }

  get all(): ReadonlyMap<string, Survival> {
    return this.labels;
  }

  update(state: TreeState): string[] {
    const t0 = now();
    const next = state.kind === "game" ? survival(state.nodes.values()) : new Map<string, Survival>();
    const changed: string[] = [];
    for (const [id, s] of next) {
      const old = this.labels.get(id);
      if (!old || old.status !== s.status || old.reason !== s.reason) changed.push(id);
    }
    for (const id of this.labels.keys()) if (!next.has(id)) changed.push(id);
    this.labels = next;
    this.lastMs = now() - t0;
    return changed;
  }

  /** How many proposals survive, are broken, are contested. */
  proposalCounts(state: TreeState): Record<SurvivalStatus, number> {
    const c: Record<SurvivalStatus, number> = { survives: 0, broken: 0, contested: 0 };
    for (const [id, s] of this.labels) if (state.get(id)?.type === "proposal") c[s.status]++;
    return c;
  }
}

function now(): number {
  return typeof performance !== "undefined" ? performance.now() : Date.now();
}
