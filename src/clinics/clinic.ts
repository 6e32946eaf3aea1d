import { z } from "zod";
import type { ClinicTable } from "./clinic.table.js";

export interface Clinic {
  id: string;
  subdomain: string;
  name: string;
  seats: number;
  createdAt: string;
}

export function rowToClinic(row: ClinicTable): Clinic {
  return { id: row.id, subdomain: row.subdomain, name: row.name, seats: Number(row.seats), createdAt: row.created_at };
}

// Names a clinic may not take: our own hosts, and words that would mislead a person reading the URL.
const RESERVED_SUBDOMAINS = new Set([
  "www",
  "api",
  "app",
  "apps",
  "admin",
  "administrator",
  "mail",
  "email",
  "smtp",
  "imap",
  "pop",
  "ftp",
  "static",
  "assets",
  "cdn",
  "media",
  "files",
  "status",
  "help",
  "support",
  "docs",
  "blog",
  "dev",
  "test",
  "staging",
  "demo-idp",
  "idp",
  "sso",
  "saml",
  "auth",
  "login",
  "signin",
  "sign-in",
  "account",
  "accounts",
  "billing",
  "security",
  "root",
  "system",
  "operator",
  "internal",
  "localhost",
  "ns1",
  "ns2",
  "dns",
]);

export const subdomainSchema = z
  .string()
  .min(3, "must be at least 3 characters")
  .max(63, "must be at most 63 characters")
  .regex(/^[a-z0-9-]+$/, "may contain only lower-case letters, digits and hyphens")
  .regex(/^[a-z0-9].*[a-z0-9]$/, "must start and end with a letter or digit")
  .refine((s) => !s.includes("--"), "must not contain two hyphens in a row")
  .refine((s) => !RESERVED_SUBDOMAINS.has(s), "is reserved");

export const clinicNameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters");

export const seatsSchema = z
  .number({ error: "must be a whole number" })
  .int("must be a whole number")
  .min(1, "must be at least 1")
  .max(100_000, "must be at most 100000");
