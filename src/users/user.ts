import { z } from "zod";
import { checkEmailAddress, checkPersonName } from "./identity-text.js";
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

/** Whether this membership makes its person an active admin of the clinic (not invited, not removed). */
export function isActiveAdminOf(
  membership: Pick<Membership, "clinicId" | "role" | "status"> | null | undefined,
  clinicId: string,
): boolean {
  return membership?.clinicId === clinicId && membership.role === "admin" && membership.status === "active";
}

/** Emails are compared and stored in lower case, so Alice@X and alice@x are one person. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** An email from a form, the API or the CLI, through the one rule every source shares (checkEmailAddress). */
export const emailSchema = z.string().transform((value, ctx) => {
  const checked = checkEmailAddress(value);
  if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.error });
  return checked.ok ? checked.value : z.NEVER;
});

/** A person's name from a form, the API or the CLI, through the one rule every source shares (checkPersonName). */
export const personNameSchema = z.string().transform((value, ctx) => {
  const checked = checkPersonName(value);
  if (!checked.ok) ctx.addIssue({ code: "custom", message: checked.error });
  return checked.ok ? checked.value : z.NEVER;
});

export const roleSchema = z.enum(["admin", "provider"], { error: "must be admin or provider" });

export const passwordSchema = z.string().min(12, "must be at least 12 characters").max(256, "must be at most 256 characters");
