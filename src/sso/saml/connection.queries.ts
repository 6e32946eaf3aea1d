import { rowToClinic, type Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { nowIso } from "../../ids.js";
import {
  keepsProvenTrust,
  rowToSamlConnection,
  settingsFingerprint,
  type IdpSettings,
  type SamlConnection,
  type SamlConnectionFlags,
} from "./connection.js";
import type { SamlConnectionTable } from "./connection.table.js";
import type { IdpPreset } from "./presets.js";

/**
 * A clinic by its subdomain, with its SAML connection (null when it has none), in one query: what the host hook
 * resolves once for every request to a clinic host, so its sign-in pages need no second look-up.
 */
export async function findClinicWithSamlConnection(
  db: Db,
  subdomain: string,
): Promise<{ clinic: Clinic; samlConnection: SamlConnection | null } | null> {
  const row = await db
    .selectFrom("clinics")
    .leftJoin("saml_connections", "saml_connections.clinic_id", "clinics.id")
    .selectAll("saml_connections")
    .select([
      "clinics.id as clinic_row_id",
      "clinics.subdomain",
      "clinics.name",
      "clinics.seats",
      "clinics.created_at as clinic_created_at",
    ])
    .where("clinics.subdomain", "=", subdomain)
    .executeTakeFirst();
  if (!row) return null;
  const { clinic_row_id, subdomain: clinicSubdomain, name, seats, clinic_created_at, ...connection } = row;
  const clinic = rowToClinic({ id: clinic_row_id, subdomain: clinicSubdomain, name, seats, created_at: clinic_created_at });
  // A left join: every connection column is null together when the clinic has no connection.
  const samlConnection = connection.clinic_id === null ? null : rowToSamlConnection(connection as SamlConnectionTable);
  return { clinic, samlConnection };
}

export async function findSamlConnection(db: Db, clinicId: string): Promise<SamlConnection | null> {
  const row = await db.selectFrom("saml_connections").selectAll().where("clinic_id", "=", clinicId).executeTakeFirst();
  return row ? rowToSamlConnection(row) : null;
}

const DEFAULT_FLAGS: SamlConnectionFlags = { enabled: true, allowIdpInitiated: true, jitProvisioning: false, enforceSso: false };

/**
 * Creates or replaces the IdP side of a clinic's connection; flags not given keep their value (or the default).
 * The caller checks enforcement first (isEnforcementPremature with the new settings).
 */
export async function saveSamlConnection(
  db: Db,
  clinicId: string,
  input: IdpSettings & { preset: IdpPreset; source: string; flags: Partial<SamlConnectionFlags> },
  now: Date,
): Promise<SamlConnection> {
  const existing = await findSamlConnection(db, clinicId);
  const flags = { ...DEFAULT_FLAGS, ...(existing ?? {}), ...input.flags };
  const at = nowIso(now);
  const row = {
    clinic_id: clinicId,
    preset: input.preset,
    idp_entity_id: input.idpEntityId,
    idp_sso_url: input.idpSsoUrl,
    idp_sso_binding: input.idpSsoBinding,
    idp_certificates: JSON.stringify(input.certificates.map((c) => c.pem)),
    enabled: Number(flags.enabled),
    allow_idp_initiated: Number(flags.allowIdpInitiated),
    jit_provisioning: Number(flags.jitProvisioning),
    enforce_sso: Number(flags.enforceSso),
    source: input.source,
    // "Has worked" belongs to the connection as it was: a new IdP, SSO URL or certificate must prove itself again.
    last_success_at: existing && keepsProvenTrust(existing, input) ? existing.lastSuccessAt : null,
    created_at: at,
    updated_at: at,
  };
  if (existing) {
    const { clinic_id: _, created_at: __, ...changes } = row;
    await db.updateTable("saml_connections").set(changes).where("clinic_id", "=", clinicId).execute();
  } else {
    await db.insertInto("saml_connections").values(row).execute();
  }
  return (await findSamlConnection(db, clinicId))!;
}

export async function updateSamlConnectionFlags(db: Db, clinicId: string, flags: SamlConnectionChanges, now: Date): Promise<void> {
  const changes: Record<string, number | string> = { updated_at: nowIso(now) };
  if (flags.preset !== undefined) changes.preset = flags.preset;
  if (flags.enabled !== undefined) changes.enabled = Number(flags.enabled);
  if (flags.allowIdpInitiated !== undefined) changes.allow_idp_initiated = Number(flags.allowIdpInitiated);
  if (flags.jitProvisioning !== undefined) changes.jit_provisioning = Number(flags.jitProvisioning);
  if (flags.enforceSso !== undefined) changes.enforce_sso = Number(flags.enforceSso);
  await db.updateTable("saml_connections").set(changes).where("clinic_id", "=", clinicId).execute();
}

export type SamlConnectionChanges = Partial<SamlConnectionFlags> & { preset?: IdpPreset };

// "Has worked" needs only to be known, and its time to the minute: rewriting the clinic's one row at every sign-in
// would make every sign-in of the clinic wait for the row lock of the one before it to commit.
const SUCCESS_MARK_INTERVAL_MS = 60_000;

/**
 * The update noting that the connection worked, only if it is still the one the response was verified with; not yet
 * run, for the sign-in to write with its other records (see writeTogether). Null when marked under a minute ago.
 */
export function prepareSamlSuccessMark(db: Db, connection: SamlConnection, at: string) {
  const staleBefore = nowIso(new Date(new Date(at).getTime() - SUCCESS_MARK_INTERVAL_MS));
  // Marked less than a minute ago as this sign-in read the connection: not even a statement.
  if (connection.lastSuccessAt !== null && connection.lastSuccessAt >= staleBefore) return null;
  // A reconfiguration saved while this sign-in was being verified must not inherit its success.
  return db
    .updateTable("saml_connections")
    .set({ last_success_at: at })
    .where((eb) => eb.or([eb("last_success_at", "is", null), eb("last_success_at", "<", staleBefore)]))
    .where("clinic_id", "=", connection.clinicId)
    .where("idp_entity_id", "=", connection.idpEntityId)
    .where("idp_sso_url", "=", connection.idpSsoUrl)
    .where("idp_certificates", "=", JSON.stringify(connection.certificates.map((c) => c.pem)));
}

/** What a clinic's sign-in page offers: the SSO button when enabled, and no password form when enforced. */
export async function ssoSignInOptions(db: Db, clinicId: string): Promise<SsoSignInOptions> {
  // Every clinic sign-in page asks this: two flags, without loading and parsing the certificates.
  const row = await db
    .selectFrom("saml_connections")
    .select(["enabled", "enforce_sso", "idp_certificates"])
    .where("clinic_id", "=", clinicId)
    .executeTakeFirst();
  const enabled = Boolean(row?.enabled) && row?.idp_certificates !== "[]";
  return { enabled, enforced: enabled && Boolean(row?.enforce_sso) };
}

export interface SsoSignInOptions {
  enabled: boolean;
  enforced: boolean;
}

/** Notes that a test sign-in passed with these settings; only if the connection still has them (settingsFingerprint). */
export async function recordPassingTest(db: Db, connection: SamlConnection): Promise<void> {
  // A reconfiguration saved while the test was running must not inherit its pass.
  await db
    .updateTable("saml_connections")
    .set({ tested_settings: settingsFingerprint(connection) })
    .where("clinic_id", "=", connection.clinicId)
    .where("preset", "=", connection.preset)
    .where("idp_entity_id", "=", connection.idpEntityId)
    .where("idp_sso_url", "=", connection.idpSsoUrl)
    .where("idp_sso_binding", "=", connection.idpSsoBinding)
    .where("idp_certificates", "=", JSON.stringify(connection.certificates.map((c) => c.pem)))
    .execute();
}
