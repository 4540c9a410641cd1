// The plan as a DAG: dagre lays it out left to right (dependencies before dependents), SVG draws
// it, wheel zooms and drag pans. Ranks with more than BIG_RANK items are collapsed into one group
// node (only their critical-path items stay out of it) so a plan of hundreds of items stays legible.
import dagre from "dagre";
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { html, STATUSES } from "./ui.js";

const NODE_W = 190;
const NODE_H = 40;
const GROUP_H = 54;
const BIG_RANK = 30;
const MIN_K = 0.1;
const MAX_K = 2.5;
const READABLE_K = 0.7; // the first view never zooms out further than this: text must stay legible
const ICON = { passed: "✓", running: "●", failed: "✕", blocked: "!", pending: "○" };

/** Each item's rank: the longest chain of dependencies below it, so every edge points rightwards. */
function ranksOf(items, byId) {
  const rank = new Map();
  const visiting = new Set();
  const visit = (id) => {
    if (rank.has(id)) return rank.get(id);
    if (visiting.has(id)) return 0; // a cycle: import refuses them, but never loop forever
    visiting.add(id);
    let r = 0;
    for (const dep of byId.get(id).dependencies ?? []) if (byId.has(dep)) r = Math.max(r, visit(dep) + 1);
    visiting.delete(id);
    rank.set(id, r);
    return r;
  };
  items.forEach((it) => visit(it.id));
  return rank;
}

/** What to draw: visible items, one group per collapsed rank, and edges between what is visible. */
function buildModel(items, criticalPath, expanded) {
  const byId = new Map(items.map((it) => [it.id, it]));
  const rank = ranksOf(items, byId);
  const critical = new Set(criticalPath);
  const byRank = new Map();
  for (const it of items) {
    const r = rank.get(it.id);
    if (!byRank.has(r)) byRank.set(r, []);
    byRank.get(r).push(it);
  }

  const nodes = [];
  const shownAs = new Map();
  const bigRanks = [];
  for (const [r, members] of [...byRank].sort((a, b) => a[0] - b[0])) {
    const big = members.length > BIG_RANK;
    if (big) bigRanks.push(r);
    if (!big || expanded.has(r)) {
      for (const it of members) { shownAs.set(it.id, it.id); nodes.push({ id: it.id, kind: "item" }); }
      continue;
    }
    // What stays out of the group depends on the plan only, never on statuses: a status change
    // then never moves a node, and never costs a new layout (hundreds of ms for a big plan).
    const gid = `group:${r}`;
    const hidden = members.filter((it) => !critical.has(it.id));
    for (const it of members) if (critical.has(it.id)) { shownAs.set(it.id, it.id); nodes.push({ id: it.id, kind: "item" }); }
    for (const it of hidden) shownAs.set(it.id, gid);
    if (hidden.length) nodes.push({ id: gid, kind: "group", rank: r, members: hidden.map((it) => it.id) });
  }

  // critical_path lists items from first to last; accept either direction of each pair.
  const critPairs = new Set();
  for (let i = 0; i + 1 < criticalPath.length; i++) {
    critPairs.add(`${criticalPath[i]}>${criticalPath[i + 1]}`);
    critPairs.add(`${criticalPath[i + 1]}>${criticalPath[i]}`);
  }
  const edges = new Map();
  for (const it of items) {
    for (const dep of it.dependencies ?? []) {
      if (!byId.has(dep)) continue;
      const from = shownAs.get(dep);
      const to = shownAs.get(it.id);
      if (from === to) continue;
      const key = `${from}>${to}`;
      const crit = critPairs.has(`${dep}>${it.id}`) && from === dep && to === it.id;
      const prev = edges.get(key);
      edges.set(key, { key, from, to, crit: crit || prev?.crit === true });
    }
  }
  const edgeList = [...edges.values()];
  return {
    nodes,
    edges: edgeList,
    critical,
    bigRanks,
    // Layout depends on the structure only, so statuses can change without a new layout.
    shape: `${nodes.map((n) => n.id).join(",")}|${edgeList.map((e) => e.key).join(",")}`,
  };
}

function layout(model) {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "LR", nodesep: 10, ranksep: 60, edgesep: 6, marginx: 24, marginy: 24 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of model.nodes) g.setNode(n.id, { width: NODE_W, height: n.kind === "group" ? GROUP_H : NODE_H });
  for (const e of model.edges) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const pos = new Map(model.nodes.map((n) => [n.id, g.node(n.id)]));
  const paths = new Map(model.edges.map((e) => [e.key, curve(g.edge(e.from, e.to)?.points ?? [])]));
  const { width = 0, height = 0 } = g.graph();
  return { pos, paths, width, height };
}

/** A smooth path through dagre's edge points (quadratic segments through the midpoints). */
function curve(points) {
  if (points.length === 0) return "";
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length - 1; i++) {
    const p = points[i];
    const q = points[i + 1];
    d += ` Q${p.x},${p.y} ${(p.x + q.x) / 2},${(p.y + q.y) / 2}`;
  }
  const last = points[points.length - 1];
  return `${d} L${last.x},${last.y}`;
}

/** The centre of the work in progress (running, else failed items or groups holding them), where the first view looks. */
function focusPoint(model, geo, byId) {
  const has = (n, status) => (n.kind === "item" ? [n.id] : n.members).some((id) => byId.get(id)?.status === status);
  for (const status of ["running", "failed"]) {
    const pts = model.nodes.filter((n) => has(n, status)).map((n) => geo.pos.get(n.id));
    if (pts.length) return { x: pts.reduce((a, p) => a + p.x, 0) / pts.length, y: pts.reduce((a, p) => a + p.y, 0) / pts.length };
  }
  return null;
}

const clip = (text, chars) => (text.length > chars ? `${text.slice(0, chars - 1)}…` : text);

export function Dag({ items, criticalPath = [], onOpen }) {
  const [expanded, setExpanded] = useState(() => new Set());
  const model = useMemo(() => buildModel(items, criticalPath, expanded), [items, criticalPath, expanded]);
  // Keyed by shape on purpose: a status change keeps every position.
  const geo = useMemo(() => layout(model), [model.shape]);
  const byId = useMemo(() => new Map(items.map((it) => [it.id, it])), [items]);

  const svgRef = useRef(null);
  const layerRef = useRef(null);
  const view = useRef({ x: 0, y: 0, k: 1 });
  const drag = useRef(null);
  const dragged = useRef(false);
  const fitted = useRef(false);

  // Pan and zoom write the transform straight to the DOM: no re-render of hundreds of nodes per frame.
  const apply = () => {
    const { x, y, k } = view.current;
    layerRef.current?.setAttribute("transform", `translate(${x},${y}) scale(${k})`);
  };

  /** mode "all": the whole plan; "readable": no smaller than READABLE_K; "actual": scale 1. */
  const fit = (mode) => {
    const box = svgRef.current?.getBoundingClientRect();
    if (!box || !geo.width) return;
    const whole = Math.max(MIN_K, Math.min(box.width / geo.width, box.height / geo.height, 1));
    const k = mode === "all" ? whole : mode === "actual" ? 1 : Math.max(whole, READABLE_K);
    // What does not fit is centred on the work in progress (running, else failed items), else on
    // the start of the plan, and never scrolled past the plan's edges.
    const focus = focusPoint(model, geo, byId);
    const axis = (size, extent, center) => {
      if (extent * k <= size) return (size - extent * k) / 2;
      const want = center === null ? 0 : size / 2 - center * k;
      return Math.min(0, Math.max(size - extent * k, want));
    };
    view.current = { x: axis(box.width, geo.width, focus?.x ?? null), y: axis(box.height, geo.height, focus?.y ?? geo.height / 2), k };
    apply();
  };

  const zoomAt = (px, py, factor) => {
    const v = view.current;
    const k = Math.min(MAX_K, Math.max(MIN_K, v.k * factor));
    const s = k / v.k;
    view.current = { x: px - (px - v.x) * s, y: py - (py - v.y) * s, k };
    apply();
  };

  const zoomCenter = (factor) => {
    const box = svgRef.current.getBoundingClientRect();
    zoomAt(box.width / 2, box.height / 2, factor);
  };

  useLayoutEffect(() => {
    if (!fitted.current && geo.width) { fitted.current = true; fit("readable"); } else apply();
  }, [geo]);

  // Wheel listeners must be non-passive to keep the page from scrolling while zooming.
  useEffect(() => {
    const svg = svgRef.current;
    const onWheel = (e) => {
      e.preventDefault();
      const box = svg.getBoundingClientRect();
      const delta = e.deltaMode === 1 ? e.deltaY * 33 : e.deltaY;
      zoomAt(e.clientX - box.left, e.clientY - box.top, Math.exp(-delta * 0.0015));
    };
    svg.addEventListener("wheel", onWheel, { passive: false });
    return () => svg.removeEventListener("wheel", onWheel);
  }, []);

  const onPointerDown = (e) => {
    if (e.button !== 0) return;
    drag.current = { sx: e.clientX, sy: e.clientY, x: view.current.x, y: view.current.y, id: e.pointerId, active: false };
    dragged.current = false;
  };
  const onPointerMove = (e) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.sx;
    const dy = e.clientY - d.sy;
    if (!d.active) {
      if (Math.hypot(dx, dy) < 4) return; // below this it is a click on a node, not a pan
      d.active = true;
      dragged.current = true;
      svgRef.current.setPointerCapture(d.id);
      svgRef.current.classList.add("panning");
    }
    view.current = { ...view.current, x: d.x + dx, y: d.y + dy };
    apply();
  };
  const onPointerUp = () => {
    drag.current = null;
    svgRef.current?.classList.remove("panning");
  };

  // Hovering a node brings out its own edges among hundreds.
  const [hover, setHover] = useState(null);
  const enter = (id) => () => { if (!drag.current?.active) setHover(id); };
  const leave = () => setHover(null);

  const activate = (node) => {
    if (dragged.current) return;
    if (node.kind === "group") setExpanded((s) => new Set(s).add(node.rank));
    else onOpen(node.id);
  };
  const onKey = (node) => (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); activate(node); }
  };

  const collapsed = model.bigRanks.filter((r) => !expanded.has(r)).length;
  return html`
    <div class="dag">
      <div class="dag-tools">
        <button class="btn sm" onClick=${() => zoomCenter(1.25)} title="Zoom in">+</button>
        <button class="btn sm" onClick=${() => zoomCenter(0.8)} title="Zoom out">−</button>
        <button class="btn sm" onClick=${() => fit("all")} title="Show the whole plan">Fit</button>
        <button class="btn sm" onClick=${() => fit("actual")} title="Actual size, on the work in progress">1:1</button>
        ${model.bigRanks.length > 0 && html`
          <span class="sep"></span>
          ${collapsed > 0
            ? html`<button class="btn sm" onClick=${() => setExpanded(new Set(model.bigRanks))}>Expand ${collapsed} level${collapsed > 1 ? "s" : ""}</button>`
            : html`<button class="btn sm" onClick=${() => setExpanded(new Set())}>Collapse big levels</button>`}`}
      </div>
      <div class="dag-legend"><span class="crit-swatch"></span>critical path<span class="hint">wheel to zoom · drag to pan</span></div>
      <svg ref=${svgRef} class=${`dag-svg ${hover ? "hovering" : ""}`} onPointerDown=${onPointerDown} onPointerMove=${onPointerMove} onPointerUp=${onPointerUp} onPointerCancel=${onPointerUp}>
        <defs>
          <marker id="dag-arrow" viewBox="0 0 8 8" refX="7.5" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0.5 L8,4 L0,7.5 z" class="dag-arrow" /></marker>
          <marker id="dag-arrow-crit" viewBox="0 0 8 8" refX="7.5" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0.5 L8,4 L0,7.5 z" class="dag-arrow crit" /></marker>
        </defs>
        <g ref=${layerRef}>
          <g class="dag-edges">
            ${model.edges.filter((e) => !e.crit).map((e) => html`<path key=${e.key} d=${geo.paths.get(e.key)} marker-end="url(#dag-arrow)"
                class=${`dag-edge ${hover && (e.from === hover || e.to === hover) ? "hl" : ""}`} />`)}
            ${model.edges.filter((e) => e.crit).map((e) => html`<path key=${e.key} d=${geo.paths.get(e.key)} class="dag-edge crit" marker-end="url(#dag-arrow-crit)" />`)}
          </g>
          ${model.nodes.map((n) => {
            const p = geo.pos.get(n.id);
            if (!p) return null;
            return n.kind === "group"
              ? html`<${GroupNode} key=${n.id} node=${n} p=${p} byId=${byId} onClick=${() => activate(n)} onKeyDown=${onKey(n)} onPointerEnter=${enter(n.id)} onPointerLeave=${leave} />`
              : html`<${ItemNode} key=${n.id} item=${byId.get(n.id)} p=${p} crit=${model.critical.has(n.id)} onClick=${() => activate(n)} onKeyDown=${onKey(n)} onPointerEnter=${enter(n.id)} onPointerLeave=${leave} />`;
          })}
        </g>
      </svg>
    </div>`;
}

function ItemNode({ item, p, crit, ...handlers }) {
  const s = item.status;
  return html`
    <g class=${`dag-node t-${s} ${crit ? "crit" : ""}`} transform=${`translate(${p.x - NODE_W / 2},${p.y - NODE_H / 2})`}
       data-testid=${`dag-node-${item.id}`} data-status=${s} tabindex="0" role="link" ...${handlers}>
      <title>${item.id} — ${item.name} (${s}${item.phase ? `, ${item.phase}` : ""})</title>
      <rect class="box" width=${NODE_W} height=${NODE_H} rx="5" />
      <rect class="stripe" width="4" height=${NODE_H} rx="2" />
      <text class="nid" x="12" y="16">${clip(item.id, 20)}${item.phase && s === "running" ? ` · ${item.phase}` : ""}</text>
      <text class="nname" x="12" y="31">${clip(item.name ?? "", 26)}</text>
      <text class="nicon" x=${NODE_W - 10} y="17" text-anchor="end">${ICON[s] ?? "○"}</text>
    </g>`;
}

function GroupNode({ node, p, byId, ...handlers }) {
  const counts = {};
  for (const id of node.members) {
    const s = byId.get(id)?.status ?? "pending";
    counts[s] = (counts[s] ?? 0) + 1;
  }
  const total = node.members.length;
  const summary = STATUSES.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`).join(", ");
  const barW = NODE_W - 24;
  let x = 12;
  // Work going on inside a group shows on the group itself: running pulses, failed is red.
  const state = counts.running ? "t-running" : counts.failed ? "t-failed" : "";
  return html`
    <g class=${`dag-group ${state}`} transform=${`translate(${p.x - NODE_W / 2},${p.y - GROUP_H / 2})`}
       data-testid=${`dag-group-${node.rank}`} tabindex="0" role="button" ...${handlers}>
      <title>${total} more items at this level (${summary}) — click to show them</title>
      <rect class="box" width=${NODE_W} height=${GROUP_H} rx="5" />
      <text class="gtitle" x="12" y="18">${total} more items</text>
      <text class="gsub" x="12" y="33">${clip(summary, 32)}</text>
      ${STATUSES.filter((s) => counts[s]).map((s) => {
        const w = (counts[s] / total) * barW;
        const seg = html`<rect key=${s} class=${`gseg t-${s}`} x=${x} y="40" width=${Math.max(w, 1)} height="5" />`;
        x += w;
        return seg;
      })}
    </g>`;
}
