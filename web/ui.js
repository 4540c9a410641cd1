// Shared building blocks: the html tag, formatters, status badges, modal, toasts, empty and error
// states, and the windowed list every long table uses.
import { h } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import htm from "htm";
import { dismissToast, toasts } from "./api.js";
import { useStore } from "./store.js";

export const html = htm.bind(h);

export const STATUSES = ["passed", "running", "failed", "blocked", "pending"];

// ---- formatting ----------------------------------------------------------------------------

export function usd(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "—";
  if (n === 0) return "$0";
  if (n < 0.01) return "<$0.01";
  return n < 100 ? `$${n.toFixed(2)}` : `$${Math.round(n).toLocaleString("en-US")}`;
}

export function tokens(n) {
  if (typeof n !== "number" || !Number.isFinite(n)) return "—";
  if (n < 1000) return String(n);
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)}M`;
}

export function duration(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) return "—";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

export const pct = (x) => (typeof x === "number" && Number.isFinite(x) ? `${Math.round(x * 100)}%` : "—");

function ago(iso) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "—";
  const s = Math.round((Date.now() - t) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

// Formatters made once: toLocale*String builds one per call, too slow for lists redrawn per frame.
const CLOCK = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
const FULL = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "medium", hour12: false });

export const clock = (iso) => {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? CLOCK.format(t) : "—";
};

export const fullTime = (iso) => {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? FULL.format(t) : "";
};

/** Relative time with the exact time on hover. */
export const Ago = ({ at }) => html`<time datetime=${at} title=${fullTime(at)}>${ago(at)}</time>`;

/** One line of an object's data, for dense rows: `key=value key2=value2`. */
export function brief(data, max = 220) {
  if (!data || typeof data !== "object") return "";
  const parts = [];
  for (const [k, v] of Object.entries(data)) {
    if (v === null || v === undefined || v === "") continue;
    const text = typeof v === "string" ? v : JSON.stringify(v);
    parts.push(`${k}=${text.length > 60 ? `${text.slice(0, 57)}…` : text}`);
    if (parts.join(" ").length > max) break;
  }
  return parts.join("  ");
}

// ---- status --------------------------------------------------------------------------------

const ICONS = { passed: "✓", running: "●", failed: "✕", blocked: "!", pending: "○", succeeded: "✓", finished: "✓", completed: "✓",
  approved: "✓", rejected: "✕", expired: "–", cancelled: "–", timed_out: "⏱", rate_limited: "⏱", needs_input: "?", interrupted: "–" };

/** Any status word maps onto the five colours. */
export function tone(status) {
  switch (status) {
    case "passed": case "succeeded": case "approved": case "completed": case "finished": return "passed";
    case "running": case "busy": case "started": case "in_progress": return "running";
    case "failed": case "rejected": case "timed_out": case "error": return "failed";
    case "blocked": case "needs_input": case "rate_limited": case "interrupted": return "blocked";
    default: return "pending";
  }
}

export const Badge = ({ status, label }) => html`
  <span class=${`badge t-${tone(status)}`}><i>${ICONS[status] ?? "○"}</i>${label ?? String(status ?? "—").replace(/_/g, " ")}</span>`;

/** A stacked bar of status counts; segments are buttons when onPick is given. */
export function CountsBar({ counts = {}, onPick, active, compact = false }) {
  return html`
    <div class=${`counts ${compact ? "compact" : ""}`}>
      <div class="counts-bar" role="img" aria-label="status counts">
        ${STATUSES.map((s) => (counts[s] ? html`<span class=${`seg t-${s}`} style=${{ flexGrow: counts[s] }} title=${`${counts[s]} ${s}`}></span>` : null))}
      </div>
      ${!compact && html`
        <div class="counts-legend">
          ${STATUSES.map((s) => html`
            <button class=${`legend t-${s} ${active === s ? "on" : ""}`} disabled=${!onPick} onClick=${() => onPick?.(active === s ? null : s)}>
              <i></i>${s}<b>${counts[s] ?? 0}</b>
            </button>`)}
        </div>`}
    </div>`;
}

// ---- feedback ------------------------------------------------------------------------------

export function Toasts() {
  const list = useStore(toasts);
  return html`
    <div class="toasts" role="status">
      ${list.map((t) => html`
        <div class=${`toast ${t.kind}`} key=${t.id} data-testid=${`toast-${t.kind}`}>
          <div class="toast-body">
            ${t.title && html`<div class="toast-title">${t.title}</div>`}
            <div>${t.message}</div>
            ${t.fix && html`<div class="toast-fix"><b>Fix:</b> ${t.fix}</div>`}
          </div>
          <button class="icon-btn" title="Dismiss" onClick=${() => dismissToast(t.id)}>×</button>
        </div>`)}
    </div>`;
}

export const ErrorPanel = ({ error, title }) => html`
  <div class="notice error">
    <div class="notice-title">${title ?? (error?.status === 401 ? "Sign in with the token" : "Could not load")}</div>
    <div>${error?.message}</div>
    ${error?.fix && html`<div class="notice-fix"><b>Fix:</b> ${error.fix}</div>`}
  </div>`;

export const Empty = ({ title, children }) => html`
  <div class="empty"><div class="empty-title">${title}</div>${children && html`<div class="empty-body">${children}</div>`}</div>`;

export const Loading = () => html`<div class="loading">Loading…</div>`;

/** A centred dialog; its first field has the focus; Escape and a click on the backdrop close it. */
export function Modal({ title, onClose, children, danger = false }) {
  const box = useRef(null);
  useEffect(() => {
    box.current?.querySelector("textarea, input:not([type=checkbox])")?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return html`
    <div class="backdrop" onMouseDown=${(e) => e.target === e.currentTarget && onClose()}>
      <div class=${`modal ${danger ? "danger" : ""}`} role="dialog" aria-modal="true" aria-label=${title} ref=${box}>
        <div class="modal-head"><span>${title}</span><button class="icon-btn" title="Close" onClick=${onClose}>×</button></div>
        <div class="modal-body">${children}</div>
      </div>
    </div>`;
}

export const Json = ({ value }) => html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;

// ---- windowing -----------------------------------------------------------------------------

/**
 * A windowed list: rows have a fixed height, only those in view (plus `overscan` either side)
 * are in the DOM, so thousands of rows scroll as smoothly as ten. With `follow`, the list
 * sticks to the bottom while the reader is there (for live logs).
 */
export function VirtualList({ items, rowHeight, renderRow, overscan = 10, follow = false, class: cls = "", testid }) {
  const ref = useRef(null);
  const [view, setView] = useState({ top: 0, height: 600 });
  const atBottom = useRef(true);
  const frame = useRef(0);

  useLayoutEffect(() => {
    const el = ref.current;
    const measure = () => setView({ top: el.scrollTop, height: el.clientHeight });
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    measure();
    return () => { ro.disconnect(); cancelAnimationFrame(frame.current); };
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (follow && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [items.length, follow]);

  // One state update per frame, however many scroll events the browser fires.
  const onScroll = () => {
    const el = ref.current;
    atBottom.current = el.scrollTop + el.clientHeight >= el.scrollHeight - rowHeight;
    cancelAnimationFrame(frame.current);
    frame.current = requestAnimationFrame(() => setView({ top: el.scrollTop, height: el.clientHeight }));
  };

  const first = Math.max(0, Math.floor(view.top / rowHeight) - overscan);
  const last = Math.min(items.length, Math.ceil((view.top + view.height) / rowHeight) + overscan);
  const rows = [];
  for (let i = first; i < last; i++) {
    rows.push(renderRow(items[i], i, { transform: `translateY(${i * rowHeight}px)`, height: `${rowHeight}px` }));
  }
  return html`
    <div class=${`vlist ${cls}`} ref=${ref} onScroll=${onScroll} data-testid=${testid}>
      <div class="vlist-space" style=${{ height: `${items.length * rowHeight}px` }}>${rows}</div>
    </div>`;
}
