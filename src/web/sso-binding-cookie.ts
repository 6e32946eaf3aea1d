import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.js";
import { isBrowserBinding } from "../sso/saml/browser-binding.js";
import { REQUEST_LIFETIME_MS } from "../sso/saml/request-store.js";

// Under https the __Host- prefix stops a sibling host from planting a value of its own (a Domain cookie) here.
function ssoBindingCookieName(config: Config): string {
  return config.scheme === "https" ? "__Host-sso-binding" : "sso-binding";
}

/** The posting browser's binding value, or null when it sent none (or something we never issued). */
export function readSsoBinding(request: FastifyRequest, config: Config): string | null {
  const value = request.cookies[ssoBindingCookieName(config)];
  return isBrowserBinding(value) ? value : null;
}

/**
 * Keeps the browser's binding value as long as a sign-in request lives. The IdP's POST to the ACS is cross-site,
 * so only SameSite=None goes with it, and that needs Secure (browsers take it on http://localhost and *.localhost).
 */
export function setSsoBinding(reply: FastifyReply, config: Config, value: string): void {
  reply.setCookie(ssoBindingCookieName(config), value, {
    path: "/",
    httpOnly: true,
    sameSite: "none",
    secure: true,
    maxAge: REQUEST_LIFETIME_MS / 1000,
  });
}
