import { recordAuditEvent, type Actor } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { nowIso } from "../../ids.js";
import { err, ok, type Result } from "../../result.js";
import { settingsFingerprint, type SamlConnection } from "./connection.js";
import { findSamlConnection } from "./connection.queries.js";

export type SwitchConnectionError = "not_configured" | "not_tested";

/**
 * The clinic admin's on/off switch for single sign-on. On needs a passing test sign-in with the settings as they
 * are now, so a connection nobody has tried never reaches the clinic's staff; off is always allowed.
 */
export async function switchSamlConnection(
  db: Db,
  clinic: Clinic,
  on: boolean,
  by: Actor,
  now: Date,
): Promise<Result<SamlConnection, SwitchConnectionError>> {
  const connection = await findSamlConnection(db, clinic.id);
  if (!connection) return err("not_configured");
  const proven = settingsFingerprint(connection);
  if (on && connection.testedSettings !== proven) return err("not_tested");
  const switched = await db.transaction().execute(async (trx) => {
    let update = trx
      .updateTable("saml_connections")
      .set({ enabled: Number(on), updated_at: nowIso(now) })
      .where("clinic_id", "=", clinic.id);
    // Settings saved between the check and here were never tested: the switch stays off.
    if (on) update = update.where("tested_settings", "=", proven);
    const result = await update.executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) return false;
    await recordAuditEvent(
      trx,
      { ...by, clinicId: clinic.id, action: "sso.saml.flags", target: clinic.subdomain, outcome: "success", detail: { enabled: on } },
      now,
    );
    return true;
  });
  return switched ? ok((await findSamlConnection(db, clinic.id))!) : err("not_tested");
}
