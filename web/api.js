// HTTP access to `viable serve`: JSON in and out, errors as ApiError carrying the contract's
// {reason, message, fix}, and toasts to show them.
import { createStore } from "./store.js";

class ApiError extends Error {
  constructor(status, { reason, message, fix } = {}) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.reason = reason || `http_${status}`;
    this.fix = fix || null;
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const init = { method, credentials: "same-origin", headers: { accept: "application/json" } };
  // Every POST carries a JSON body (even `{}`), so the server can insist on application/json.
  if (method !== "GET" && method !== "DELETE") {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body ?? {});
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, { reason: "network", message: "The server did not answer.", fix: "Check that `viable serve` is still running, then reload." });
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // a proxy's HTML error page, say: fall through with the text as the message
  }
  if (!res.ok) throw new ApiError(res.status, json?.error ?? { message: text.slice(0, 300) || res.statusText });
  return json;
}

export const projectApi = (project, rest = "") => `/api/projects/${encodeURIComponent(project)}${rest}`;

// Toasts: errors stay until dismissed; successes fade. A key replaces an earlier toast with the
// same key, so a resource that keeps failing on refetch shows one toast, not a pile.
export const toasts = createStore([]);
let toastSeq = 0;

export function toast({ kind = "info", title, message, fix = null, key = null, ttl }) {
  const id = ++toastSeq;
  const entry = { id, kind, title, message, fix, key };
  toasts.set((list) => [...list.filter((t) => key === null || t.key !== key), entry].slice(-5));
  const life = ttl ?? (kind === "error" ? 0 : 4000);
  if (life > 0) setTimeout(() => dismissToast(id), life);
}

/** The same error twice (a resource failing on every refetch) is one toast. */
export function toastError(error) {
  toast({ kind: "error", title: error.reason ?? "error", message: error.message, fix: error.fix ?? null, key: `${error.reason}:${error.message}` });
}

export const dismissToast = (id) => toasts.set((list) => list.filter((t) => t.id !== id));

/** Runs a POST/DELETE for a button: toasts the error and the optional success text. */
export async function act(path, { method = "POST", body, ok } = {}) {
  try {
    const result = await api(path, { method, body });
    if (ok) toast({ kind: "success", message: typeof ok === "function" ? ok(result) : ok });
    return result;
  } catch (e) {
    toastError(e);
    return null;
  }
}
