import { recordAuditEvent } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { err, ok, type Result } from "../../result.js";
import type { Actor } from "../../audit/audit.js";
import { keepsProvenTrust, type IdpSettings, type SamlConnection } from "./connection.js";
import { findSamlConnection, updateSamlConnectionFlags, type SamlConnectionChanges } from "./connection.queries.js";

export type ChangeFlagsError = "not_configured" | "enforce_before_first_sign_in";

/**
 * Enforcement needs a successful SSO sign-in with the connection as it is (or, with `newIdp`, as it is about to
 * be), so a clinic cannot lock everyone out with a connection that has never worked. Asking to enforce, or
 * keeping enforcement through a reconfiguration, are judged alike. The one place this rule lives, for the
 * flags and for a full reconfiguration.
 */
export function isEnforcementPremature(
  connection: SamlConnection | null,
  flags: { enforceSso?: boolean | undefined },
  newIdp?: IdpSettings,
): boolean {
  if (newIdp === undefined) return flags.enforceSso === true && !connection?.enforceSso && !connection?.lastSuccessAt;
  const enforced = flags.enforceSso ?? connection?.enforceSso ?? false;
  // A success with the previous IdP, URL or certificate proves nothing about the new one (keepsProvenTrust).
  const proven = connection !== null && connection.lastSuccessAt !== null && keepsProvenTrust(connection, newIdp);
  return enforced && !proven;
}

/** Turns a connection's switches on or off (enforcement: see isEnforcementPremature). */
export async function changeSamlFlags(
  db: Db,
  clinic: Clinic,
  flags: SamlConnectionChanges,
  by: Actor,
  now: Date,
): Promise<Result<SamlConnection, ChangeFlagsError>> {
  const connection = await findSamlConnection(db, clinic.id);
  if (!connection) return err("not_configured");
  if (isEnforcementPremature(connection, flags)) return err("enforce_before_first_sign_in");
  await db.transaction().execute(async (trx) => {
    await updateSamlConnectionFlags(trx, clinic.id, flags, now);
    await recordAuditEvent(
      trx,
      {
        ...by,
        clinicId: clinic.id,
        action: "sso.saml.flags",
        target: clinic.subdomain,
        outcome: "success",
        detail: { ...flags },
      },
      now,
    );
  });
  return ok((await findSamlConnection(db, clinic.id))!);
}
