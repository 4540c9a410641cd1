// The live stream: ONE EventSource per tab, for the current project and, on an item page, the
// attempt whose output is shown. Journal events feed the listeners and invalidate "topics" that
// resources (resource.js) refetch on; "output" events feed the agent-output pane.
import { toast } from "./api.js";
import { createStore } from "./store.js";

/**
 * What the header and footer show: state "open" | "connecting" | "closed", whether this
 * connection was ever open (connecting again after that is a reconnect), the last seq seen, and
 * how many sequence numbers were skipped (the stream resumes with after=/Last-Event-ID, so any
 * skip is a lost event: shown for tests and for anyone who doubts what they see).
 */
export const live = createStore({ state: "closed", opened: false, project: null, attempt: null, lastSeq: null, gaps: 0 });

const eventListeners = new Set();
const outputListeners = new Set();
const topicListeners = new Set();
const lastSeqByProject = new Map();
// The journal's epoch per project, from each connection's "hello": a new one means `viable reset`
// ran meanwhile and nothing shown is true any more.
const epochByProject = new Map();

let source = null;
let retryTimer = null;
let retryDelay = 1000;
// The first "output" after each (re)connect is the whole transcript so far: it replaces.
let outputIsFresh = true;

/** Seeds where a project's stream resumes: the project's last_seq as fetched with the page's data. */
export function seedSeq(project, seq) {
  if (typeof seq === "number" && !lastSeqByProject.has(project)) lastSeqByProject.set(project, seq);
}

// What the page wants to follow; the connection is reopened whenever it differs from what it has.
const want = { project: null, attempt: null };

/** Follows the current project's events (null: none). */
export function followProject(project) {
  want.project = project;
  sync();
}

/** Adds one attempt's output to the stream (null: none). Set before the project is known, it waits. */
export function followAttempt(attempt) {
  want.attempt = attempt;
  sync();
}

/** Stops following `attempt` unless another one took over meanwhile (switching A → B in one render). */
export function unfollowAttempt(attempt) {
  Promise.resolve().then(() => { if (want.attempt === attempt) followAttempt(null); });
}

function sync() {
  const cur = live.get();
  const attempt = want.project ? want.attempt : null;
  const connected = source !== null || retryTimer !== null;
  if (cur.project === want.project && cur.attempt === attempt && (connected || !want.project)) return;
  open(want.project, attempt);
}

function open(project, attempt) {
  shut();
  if (!project) {
    live.set({ state: "closed", opened: false, project: null, attempt: null, lastSeq: null, gaps: 0 });
    return;
  }
  const params = new URLSearchParams();
  if (attempt) params.set("attempt", attempt);
  const after = lastSeqByProject.get(project);
  if (after !== undefined) params.set("after", String(after));
  const query = params.toString();
  const es = new EventSource(`/api/projects/${encodeURIComponent(project)}/stream${query ? `?${query}` : ""}`);
  source = es;
  live.set((s) => {
    const same = s.project === project;
    return { state: "connecting", opened: same && s.opened, project, attempt, lastSeq: after ?? null, gaps: same ? s.gaps : 0 };
  });

  const mine = (fn) => (msg) => { if (source === es) fn(msg); };
  es.onopen = mine(() => {
    retryDelay = 1000;
    outputIsFresh = true;
    patch({ state: "open", opened: true });
  });
  es.onerror = mine(() => {
    if (es.readyState !== EventSource.CLOSED) return patch({ state: "connecting" }); // the browser retries by itself
    // A refused (re)connection (the server restarting, a 5xx) is not retried by the browser: we do.
    patch({ state: "closed" });
    source = null;
    retryTimer = setTimeout(() => { retryTimer = null; sync(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 30000);
  });
  es.addEventListener("event", mine((msg) => {
    const entry = parse(msg.data);
    if (!entry) return;
    const seen = lastSeqByProject.get(project);
    if (seen !== undefined && entry.id <= seen) return; // replayed after a reconnect
    noteSeq(project, entry.id);
    noteJobEnd(entry);
    eventListeners.forEach((fn) => fn(entry));
    publish(topicsOf(entry));
  }));
  es.addEventListener("output", mine((msg) => {
    const data = parse(msg.data);
    if (!data) return;
    const replace = outputIsFresh || data.from === 0;
    outputIsFresh = false;
    outputListeners.forEach((fn) => fn(data, replace));
  }));
  es.addEventListener("hello", mine((msg) => {
    const data = parse(msg.data);
    if (!data || typeof data.epoch !== "string") return;
    const known = epochByProject.get(project);
    epochByProject.set(project, data.epoch);
    if (known !== undefined && known !== data.epoch) {
      if (typeof data.last_seq === "number") noteSeq(project, data.last_seq, true);
      publish(["*"]);
    }
  }));
  es.addEventListener("resync", mine((msg) => {
    const data = parse(msg.data);
    if (data && typeof data.last_seq === "number") noteSeq(project, data.last_seq, true);
    if (data && typeof data.epoch === "string") epochByProject.set(project, data.epoch);
    publish(["*"]);
  }));
  // A heartbeat keeps the indicator honest after a silent reconnect.
  es.addEventListener("heartbeat", mine(() => patch({ state: "open" })));
}

/** A loop or task the dashboard started that ended badly says why: it may never have started at all. */
function noteJobEnd(entry) {
  const d = entry.data ?? {};
  if (entry.event_type !== "control_action" || d.action !== "job_ended" || d.exit_code === 0) return;
  const lines = String(d.output_tail ?? "").trim().split("\n");
  toast({ kind: "error", title: `${d.kind === "loop" ? "The loop" : "The task"} ended with exit code ${d.exit_code}`, message: lines.slice(-4).join("\n") || "it printed nothing", key: `job-${d.job}` });
}

function shut() {
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  source?.close();
  source = null;
}

function patch(fields) {
  live.set((s) => ({ ...s, ...fields }));
}

/** force: a resync, where the numbering starts afresh and nothing counts as skipped. */
function noteSeq(project, seq, force = false) {
  const seen = lastSeqByProject.get(project);
  const skipped = !force && seen !== undefined && seq > seen + 1 ? seq - seen - 1 : 0;
  if (force || seen === undefined || seq > seen) lastSeqByProject.set(project, seq);
  live.set((s) => ({ ...s, lastSeq: lastSeqByProject.get(project), gaps: s.gaps + skipped }));
}

function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function onLiveEvent(fn) {
  eventListeners.add(fn);
  return () => eventListeners.delete(fn);
}

/** fn(data, replace): replace is true for the transcript sent first after a (re)connect. */
export function onOutput(fn) {
  outputListeners.add(fn);
  return () => outputListeners.delete(fn);
}

/** Calls fn when an event touches one of `topics`; "*" (a resync) touches every topic. */
export function onTopics(topics, fn) {
  const entry = { topics: new Set(topics), fn };
  topicListeners.add(entry);
  return () => topicListeners.delete(entry);
}

/** Lets an action (a POST) refresh what it changed without waiting for the event. */
export function publish(topics) {
  const all = topics.includes("*");
  topicListeners.forEach(({ topics: mine, fn }) => {
    if (all || topics.some((t) => mine.has(t))) fn();
  });
}

const ITEM_EVENTS = new Set(["item_status", "item_started", "item_verified", "item_passed", "item_failed", "item_blocked", "item_conflict_resolved", "item_merged"]);
const AGENT_EVENTS = new Set(["agent_invoked", "agent_completed", "agent_error"]);

/** Which resources an event makes stale. agent_event (the chatty one) only concerns the events page. */
export function topicsOf(e) {
  const t = e.event_type;
  const d = e.data ?? {};
  const topics = [];
  const item = d.item ?? d.item_id;
  if (ITEM_EVENTS.has(t) || AGENT_EVENTS.has(t)) topics.push("plan", "project", "cost");
  if (typeof item === "string" && t !== "agent_event") topics.push(`item:${item}`);
  if (t === "loop_started" || t === "loop_finished" || t === "loop_reconciled" || t === "plan_imported") topics.push("project", "plan");
  if (t === "approval_requested" || t === "approval_answered") topics.push("approvals", "project");
  if (t === "kill_switch" || t === "control_action") topics.push("project");
  if (t === "metrics_updated" || t === "adaptation_applied" || t === "adaptation_cleared") topics.push("metrics");
  if (t.startsWith("task_")) topics.push("tasks", "project");
  if (e.task_id && t !== "agent_event") topics.push(`task:${e.task_id}`);
  return topics;
}
