import { recordAuditEvent, type Actor } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { err, ok, type Result } from "../../result.js";
import { parseCertificate } from "./certificates.js";
import type { SamlConnection } from "./connection.js";
import { findSamlConnection, saveSamlConnection } from "./connection.queries.js";

/**
 * Puts the IdP's next signing certificate in the connection's second slot, trusted beside the current one, so
 * sign-in keeps working when the IdP switches; the rehearsal (a test sign-in trusting only this one) proves it first.
 */
export async function stageNextCertificate(
  db: Db,
  clinic: Clinic,
  certificateText: string,
  by: Actor,
  now: Date,
): Promise<Result<SamlConnection, string>> {
  const parsed = parseCertificate(certificateText);
  if (!parsed.ok) return err(parsed.error);
  const next = parsed.value;
  if (Date.parse(next.notAfter) <= now.getTime()) return err(`this certificate expired on ${next.notAfter.slice(0, 10)}`);
  return db.transaction().execute(async (trx) => {
    const connection = await findSamlConnection(trx, clinic.id);
    if (!connection) return err("connect the identity provider first");
    const current = connection.certificates[0]!;
    if (current.fingerprintSha256 === next.fingerprintSha256) return err("this is the current certificate already");
    // Adding a certificate keeps the connection's proof (keepsProvenTrust): every response that verified still does.
    const saved = await saveSamlConnection(trx, clinic.id, { ...connection, certificates: [current, next], flags: {} }, now);
    await recordAuditEvent(
      trx,
      { ...by, clinicId: clinic.id, action: "sso.saml.stage_next_certificate", target: next.fingerprintSha256, outcome: "success" },
      now,
    );
    return ok(saved);
  });
}
