import { createHash, randomBytes, randomUUID } from "node:crypto";

export function newId(): string {
  return randomUUID();
}

/** A 256-bit random secret, URL-safe. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function sha256Hex(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** A short id a person can read out to support: 10 characters of Crockford base32. */
export function newReference(): string {
  const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  return Array.from(randomBytes(10), (b) => alphabet[b % 32]).join("");
}

export function nowIso(now: Date): string {
  return now.toISOString();
}
