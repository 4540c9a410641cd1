// Who may use the API. The server listens on 127.0.0.1 unless told otherwise, and still trusts no
// request by where it comes from: every request carries proof of the access token — the session
// cookie the first visit with the token sets, or the token as an `Authorization: Bearer` header —
// names this server in `Host` (a DNS-rebinding page names its own), and, when a browser says where
// it comes from (`Origin`), comes from this server's own pages. Static files of the dashboard need
// no token (they hold no data); the page they make talks to the API with the cookie.
//
// As in Jupyter, each start prints a fresh token, while the session cookie is signed with a secret
// kept in the user's state directory: an open dashboard goes on working across a restart of the
// server (its stream reconnects and replays what it missed) without a new login.

import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Context, Next } from "hono";
import { getCookie, setCookie } from "hono/cookie";

export const SESSION_COOKIE = "viable_session";

export function newToken(): string {
  return crypto.randomBytes(24).toString("base64url");
}

/** The secret that signs session cookies, made on first use (readable by its owner only). */
export function cookieSecret(file: string): Buffer {
  try {
    const existing = fs.readFileSync(file);
    if (existing.length >= 32) return existing;
  } catch {
    // Not there yet.
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const secret = crypto.randomBytes(32);
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

function sign(secret: Buffer, nonce: string): string {
  return crypto.createHmac("sha256", secret).update(`viable-session:${nonce}`).digest("base64url");
}

export function newSession(secret: Buffer): string {
  const nonce = crypto.randomBytes(16).toString("base64url");
  return `${nonce}.${sign(secret, nonce)}`;
}

function validSession(value: string | undefined, secret: Buffer): boolean {
  if (value === undefined) return false;
  const [nonce, mac] = value.split(".");
  return nonce !== undefined && mac !== undefined && sameToken(mac, sign(secret, nonce));
}

export interface AccessPolicy {
  token: string;
  /** Signs the session cookies. */
  secret: Buffer;
  /** host:port values a request may name in Host (and its Origin may have). */
  hosts: Set<string>;
}

/** The names a browser may use for this server: the bound address, and localhost for a loopback one. */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = new Set([host.includes(":") ? `[${host}]` : host]);
  if (host === "127.0.0.1" || host === "::1" || host === "localhost") for (const n of ["127.0.0.1", "localhost", "[::1]"]) names.add(n);
  return new Set([...names].map((n) => `${n}:${port}`));
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function refuse(c: Context, status: 401 | 403, reason: string, message: string, fix: string): Response {
  return c.json({ error: { reason, message, fix } }, status);
}

export function accessControl(policy: AccessPolicy) {
  return async (c: Context, next: Next): Promise<Response | void> => {
    const host = c.req.header("host") ?? "";
    if (!policy.hosts.has(host)) {
      return refuse(c, 403, "bad_host", `this server does not answer to the host "${host}"`, "open the address `viable serve` printed");
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !policy.hosts.has(origin.replace(/^https?:\/\//, ""))) {
      return refuse(c, 403, "cross_origin", `requests from ${origin} are refused`, "use the dashboard this server serves");
    }
    // The first visit: the token in the address becomes a cookie, and the address drops it.
    const fromQuery = c.req.query("token");
    if (c.req.method === "GET" && fromQuery !== undefined && sameToken(fromQuery, policy.token)) {
      setCookie(c, SESSION_COOKIE, newSession(policy.secret), { httpOnly: true, sameSite: "Strict", path: "/", maxAge: 30 * 24 * 3600 });
      const url = new URL(c.req.url);
      url.searchParams.delete("token");
      return c.redirect(`${url.pathname}${url.search}${url.hash}`, 303);
    }
    const path = c.req.path;
    if (path === "/" || path.startsWith("/assets/") || path.startsWith("/vendor/") || path === "/favicon.ico") return next();
    const bearer = c.req.header("authorization")?.match(/^Bearer (.+)$/)?.[1];
    if (!validSession(getCookie(c, SESSION_COOKIE), policy.secret) && !sameToken(bearer, policy.token)) {
      return refuse(c, 401, "unauthorized", "this request carries no valid access token", "open the address with ?token=... that `viable serve` printed");
    }
    return next();
  };
}
