import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import type { Notifier } from "../notifications/notifier.js";
import { newReference, nowIso } from "../ids.js";
import { recordSsoEvent } from "../sso/saml/sso-events.js";
import type { User } from "../users/user.js";

// A break-glass session ends by itself within the hour, however busy: long enough to repair the connection.
export const BREAK_GLASS_SESSION_MS = 60 * 60_000;

export type BreakGlassMethod = "recovery_code" | "handoff";

const METHOD_WORDS: Record<BreakGlassMethod, string> = {
  recovery_code: "a recovery code",
  handoff: "their password on the main site",
};

/**
 * Records that an admin got into the clinic settings without the clinic's IdP (HIPAA emergency access): the audit
 * event with their stated reason and the SSO event the other admins read. Inside the caller's transaction.
 */
export async function announceBreakGlassUse(
  trx: Db,
  clinic: Clinic,
  use: { user: User; method: BreakGlassMethod; reason: string | null; ip: string; expiresAt: Date },
  now: Date,
): Promise<void> {
  await recordAuditEvent(
    trx,
    {
      actor: use.user.id,
      clinicId: clinic.id,
      action: "break_glass.used",
      target: use.user.email,
      ip: use.ip,
      outcome: "success",
      detail: { method: use.method, reason: use.reason, sessionEndsAt: nowIso(use.expiresAt) },
    },
    now,
  );
  const why = use.reason === null ? "" : `; reason given: ${use.reason}`;
  await recordSsoEvent(
    trx,
    clinic.id,
    {
      at: nowIso(now),
      outcome: "success",
      code: "break_glass_used",
      reason: `${use.user.email} opened the clinic settings without single sign-on, with ${METHOD_WORDS[use.method]} (settings pages only, until ${nowIso(use.expiresAt).slice(11, 16)} UTC)${why}`,
      email: use.user.email,
      reference: newReference(),
      ip: use.ip,
      signatureVerified: true,
    },
    now,
  );
}

/**
 * Every other admin of the clinic is told that this admin used a recovery code, with their reason (dashboard and
 * log, and email when configured). Called once the sign-in has committed, so no one is told of a use that did not happen.
 */
export async function tellOtherAdminsOfRecoveryCodeUse(
  db: Db,
  notifier: Notifier,
  clinic: Clinic,
  use: { user: User; reason: string },
  now: Date,
): Promise<void> {
  await notifier.notify(
    db,
    clinic,
    { kind: "break_glass_used", userId: use.user.id, email: use.user.email, name: use.user.name, reason: use.reason },
    now,
  );
}
