import type { Db } from "../../db/open.js";
import { nowIso } from "../../ids.js";
import { daysUntilExpiry, type TrustedCertificate } from "./certificates.js";
import type { SamlConnection } from "./connection.js";

/** Admins are warned this many days before a trusted certificate expires: once at each. */
export const CERTIFICATE_WARNING_DAYS = [60, 30, 7] as const;
export type CertificateWarningThreshold = (typeof CERTIFICATE_WARNING_DAYS)[number];

export interface CertificateWarning {
  certificate: TrustedCertificate;
  thresholdDays: CertificateWarningThreshold;
  daysLeft: number;
  /** Another trusted certificate outlives this one: the rollover is staged, the IdP must switch to it. */
  successorTrusted: boolean;
}

/**
 * The warnings now due for a connection's certificates, each claimed in the database first: a threshold
 * already warned about (by this run, an earlier one or another instance) is never claimed twice. A certificate
 * first seen inside a window gets that window's warning only (uploaded with 20 days left: the 30-day one).
 */
export async function claimDueCertificateWarnings(
  db: Db,
  clinicId: string,
  connection: SamlConnection,
  now: Date,
): Promise<CertificateWarning[]> {
  const due: CertificateWarning[] = [];
  for (const certificate of connection.certificates) {
    const daysLeft = daysUntilExpiry(certificate, now);
    const thresholdDays = [...CERTIFICATE_WARNING_DAYS].reverse().find((t) => daysLeft <= t);
    if (thresholdDays === undefined) continue;
    const claimed = await db
      .insertInto("saml_certificate_warnings")
      .values({
        clinic_id: clinicId,
        fingerprint_sha256: certificate.fingerprintSha256,
        threshold_days: thresholdDays,
        warned_at: nowIso(now),
      })
      .onConflict((oc) => oc.columns(["clinic_id", "fingerprint_sha256", "threshold_days"]).doNothing())
      .executeTakeFirst();
    if (Number(claimed.numInsertedOrUpdatedRows ?? 0) !== 1) continue;
    const successorTrusted = connection.certificates.some((other) => other.notAfter > certificate.notAfter);
    due.push({ certificate, thresholdDays, daysLeft, successorTrusted });
  }
  return due;
}
