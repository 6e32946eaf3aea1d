import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Login CSRF defence: each AuthnRequest is bound to the browser that started it. The browser keeps a random
 * value (in a cookie the web layer sets); the request row keeps only its SHA-256, so a database leak binds nothing.
 */
export function newBrowserBinding(): string {
  return randomBytes(32).toString("base64url");
}

/** True for a value this module could have made: anything else from a cookie is treated as missing. */
export function isBrowserBinding(value: unknown): value is string {
  return typeof value === "string" && /^[A-Za-z0-9_-]{43}$/.test(value);
}

export function hashBrowserBinding(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** Whether the browser posting a response holds the value its request was bound to. */
export function browserBindingMatches(value: string | null, storedHash: string | null): boolean {
  if (value === null || storedHash === null) return false;
  const presented = Buffer.from(hashBrowserBinding(value), "hex");
  const stored = Buffer.from(storedHash, "hex");
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
