import { z } from "zod";
import type { MembershipTable, UserTable } from "./user.table.js";

export type Role = "admin" | "provider";
export type MembershipStatus = "active" | "invited" | "deactivated";

export interface User {
  id: string;
  email: string;
  name: string;
  hasPassword: boolean;
  createdAt: string;
}

export interface Membership {
  id: string;
  userId: string;
  clinicId: string;
  role: Role;
  status: MembershipStatus;
  lastSignInAt: string | null;
  lastSignInMethod: string | null;
}

export function rowToUser(row: UserTable): User {
  return { id: row.id, email: row.email, name: row.name, hasPassword: row.password_hash !== null, createdAt: row.created_at };
}

export function rowToMembership(row: MembershipTable): Membership {
  return {
    id: row.id,
    userId: row.user_id,
    clinicId: row.clinic_id,
    role: row.role,
    status: row.status,
    lastSignInAt: row.last_sign_in_at,
    lastSignInMethod: row.last_sign_in_method,
  };
}

/** Emails are compared and stored in lower case, so Alice@X and alice@x are one person. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const emailSchema = z
  .string()
  .trim()
  .max(320, "must be at most 320 characters")
  .email("must be an email address such as name@clinic.org")
  .transform(normalizeEmail);

export const personNameSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters");

export const roleSchema = z.enum(["admin", "provider"], { error: "must be admin or provider" });

export const passwordSchema = z.string().min(12, "must be at least 12 characters").max(256, "must be at most 256 characters");
