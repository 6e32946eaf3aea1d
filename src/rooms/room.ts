import { z } from "zod";
import type { RoomTable } from "./room.table.js";

export interface Room {
  id: string;
  name: string;
  userId: string;
}

export function rowToRoom(row: RoomTable): Room {
  return { id: row.id, name: row.name, userId: row.user_id };
}

// Room names live at BASE/NAME, so our own top-level paths, and words that would mislead a patient, are taken.
const RESERVED_ROOM_NAMES = new Set([
  "admin",
  "api",
  "app",
  "assets",
  "static",
  "sign-in",
  "signin",
  "sign-out",
  "signout",
  "sign-up",
  "signup",
  "login",
  "logout",
  "register",
  "dashboard",
  "welcome",
  "waiting-room",
  "settings",
  "account",
  "accounts",
  "help",
  "support",
  "about",
  "privacy",
  "terms",
  "security",
  "status",
  "health",
  "healthz",
  "metrics",
  "saml",
  "sso",
  "scim",
  "demo-idp",
  "idp",
  "operator",
  "root",
  "system",
  "www",
  "mail",
  "billing",
  "pricing",
  "docs",
  "blog",
  "favicon",
  "robots",
  "sitemap",
  "clinic",
  "clinics",
  "room",
  "rooms",
  "user",
  "users",
  "null",
  "undefined",
]);

export const roomNameSchema = z
  .string()
  .trim()
  .transform((s) => s.toLowerCase())
  .pipe(
    z
      .string()
      .min(3, "must be at least 3 characters")
      .max(40, "must be at most 40 characters")
      .regex(/^[a-z0-9-]+$/, "may contain only letters, digits and hyphens")
      .regex(/^[a-z0-9](.*[a-z0-9])?$/, "must not start or end with a hyphen")
      .refine((s) => !RESERVED_ROOM_NAMES.has(s), "is reserved for the site itself"),
  );

/** A room name derived from a person's name ("Dr. Ana María Ruiz" → "ana-maria-ruiz"), or null if none fits. */
export function suggestRoomName(personName: string): string | null {
  const base = personName
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/^(dr|mr|mrs|ms|prof)\.?\s+/, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return roomNameSchema.safeParse(base).success ? base : null;
}
