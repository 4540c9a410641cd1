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
import os from "node:os";
import path from "node:path";
import type { Context, Next } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { UserError } from "../domain/errors.ts";
import { errorBody } from "./errors.ts";

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
  const secret = crypto.randomBytes(32);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, secret, { mode: 0o600 });
  } catch (e) {
    throw new UserError({
      reason: "bad_directory", file, message: `cannot be written (${(e as NodeJS.ErrnoException).code ?? "error"}): it keeps the secret that signs the dashboard's sessions`,
      fix: "set XDG_STATE_HOME to a directory you can write, or make this one writable",
    });
  }
  return secret;
}

/** How long a session lasts (the cookie's own lifetime too). */
export const SESSION_SECONDS = 30 * 24 * 3600;

function sign(secret: Buffer, nonce: string, issued: string): string {
  return crypto.createHmac("sha256", secret).update(`viable-session:${nonce}:${issued}`).digest("base64url");
}

/** `nonce.issued.mac`: the time it was issued is signed too, so a session ends. */
function newSession(secret: Buffer, now = Date.now()): string {
  const nonce = crypto.randomBytes(16).toString("base64url");
  const issued = String(Math.floor(now / 1000));
  return `${nonce}.${issued}.${sign(secret, nonce, issued)}`;
}

function validSession(value: string | undefined, secret: Buffer, now = Date.now()): boolean {
  if (value === undefined) return false;
  const [nonce, issued, mac] = value.split(".");
  if (nonce === undefined || issued === undefined || mac === undefined || !/^\d+$/.test(issued)) return false;
  const age = now / 1000 - Number(issued);
  return age >= -60 && age < SESSION_SECONDS && sameToken(mac, sign(secret, nonce, issued));
}

export interface AccessPolicy {
  token: string;
  /** Signs the session cookies. */
  secret: Buffer;
  /** host:port values a request may name in Host (and its Origin may have). */
  hosts: Set<string>;
}

/**
 * The names a browser may use for this server: the bound address, and localhost for a loopback one;
 * for a wildcard address (0.0.0.0, ::) every address of this machine and its host name.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const bracket = (a: string) => (a.includes(":") ? `[${a}]` : a);
  const names = new Set([bracket(host)]);
  const wildcard = host === "0.0.0.0" || host === "::";
  if (wildcard || host === "127.0.0.1" || host === "::1" || host === "localhost") for (const n of ["127.0.0.1", "localhost", "[::1]"]) names.add(n);
  if (wildcard) {
    names.add(os.hostname());
    for (const list of Object.values(os.networkInterfaces())) {
      for (const a of list ?? []) if (!a.address.startsWith("fe80:")) names.add(bracket(a.address));
    }
  }
  return new Set([...names].map((n) => `${n}:${port}`));
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

function refuse(c: Context, status: 401 | 403, reason: string, message: string, fix: string): Response {
  return c.json(errorBody(reason, message, fix), status);
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
      setCookie(c, SESSION_COOKIE, newSession(policy.secret), { httpOnly: true, sameSite: "Strict", path: "/", maxAge: SESSION_SECONDS });
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
