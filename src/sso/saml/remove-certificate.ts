import { recordAuditEvent, type Actor } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { newReference, nowIso } from "../../ids.js";
import { err, ok, type Result } from "../../result.js";
import type { SamlConnection } from "./connection.js";
import { findSamlConnection, saveSamlConnection } from "./connection.queries.js";
import { recordSsoEvent } from "./sso-events.js";

export type RemoveCertificateError = "not_configured" | "not_trusted" | "only_certificate" | "next_expired";

/**
 * Stops trusting one of the two certificates of a rollover: the old one once the IdP signs with the next (the next
 * becomes current), or a next one staged by mistake. The last certificate is never removed: sign-in needs one.
 * Named by fingerprint, so a page loaded before another change cannot remove a certificate its admin never saw.
 */
export async function removeTrustedCertificate(
  db: Db,
  clinic: Clinic,
  fingerprintSha256: string,
  by: Actor & { email: string },
  now: Date,
): Promise<Result<{ connection: SamlConnection; removed: "current" | "next" }, RemoveCertificateError>> {
  return db.transaction().execute(async (trx) => {
    const connection = await findSamlConnection(trx, clinic.id);
    if (!connection) return err("not_configured");
    const index = connection.certificates.findIndex((c) => c.fingerprintSha256 === fingerprintSha256);
    if (index < 0) return err("not_trusted");
    if (connection.certificates.length < 2) return err("only_certificate");
    const removed = connection.certificates[index]!;
    const kept = connection.certificates.filter((_, i) => i !== index);
    // Promoting an expired next certificate would leave a connection no response can verify against.
    if (index === 0 && Date.parse(kept[0]!.notAfter) <= now.getTime()) return err("next_expired");
    const slot = index === 0 ? "current" : "next";
    // The switch stays as it is: turning sign-in off here would lock out the staff the rollover is meant to keep in.
    const saved = await saveSamlConnection(trx, clinic.id, { ...connection, certificates: kept, flags: {} }, now);
    await recordAuditEvent(
      trx,
      {
        actor: by.actor,
        ip: by.ip,
        clinicId: clinic.id,
        action: "sso.saml.remove_certificate",
        target: removed.fingerprintSha256,
        outcome: "success",
        detail: { slot, subject: removed.subject, nowCurrent: kept[0]!.fingerprintSha256 },
      },
      now,
    );
    await recordSsoEvent(
      trx,
      clinic.id,
      {
        at: nowIso(now),
        outcome: "success",
        code: "certificate_removed",
        reason:
          slot === "current"
            ? `${by.email} removed the old certificate ${removed.subject} (SHA-256 ${removed.fingerprintSha256}); the next certificate ${kept[0]!.subject} is now the only one trusted`
            : `${by.email} removed the staged next certificate ${removed.subject} (SHA-256 ${removed.fingerprintSha256})`,
        email: by.email,
        reference: newReference(),
        ip: by.ip,
        signatureVerified: true,
      },
      now,
    );
    return ok({ connection: saved, removed: slot });
  });
}
