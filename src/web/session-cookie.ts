import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.js";

// Under https the __Host- prefix makes the browser itself refuse a Domain attribute: the cookie stays on one host.
export function sessionCookieName(config: Config): string {
  return config.scheme === "https" ? "__Host-session" : "session";
}

export function readSessionToken(request: FastifyRequest, config: Config): string | null {
  return request.cookies[sessionCookieName(config)] ?? null;
}

/** Host-only (no Domain): a clinic's session is never sent to another clinic's host. */
export function setSessionCookie(reply: FastifyReply, config: Config, token: string): void {
  reply.setCookie(sessionCookieName(config), token, {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    secure: config.scheme === "https",
    maxAge: config.sessionAbsoluteHours * 3600,
  });
}

export function clearSessionCookie(reply: FastifyReply, config: Config): void {
  reply.clearCookie(sessionCookieName(config), { path: "/", httpOnly: true, sameSite: "lax", secure: config.scheme === "https" });
}
