import { rowToClinic, type Clinic } from "../clinics/clinic.js";
import { isUniqueViolation } from "../db/errors.js";
import type { Db } from "../db/open.js";
import { nowIso } from "../ids.js";

const KEY_ID = "default";

export interface DemoIdpKey {
  privateKeyPem: string;
  certificatePem: string;
}

export async function findDemoIdpKey(db: Db): Promise<DemoIdpKey | null> {
  const row = await db.selectFrom("demo_idp_keys").selectAll().where("id", "=", KEY_ID).executeTakeFirst();
  return row ? { privateKeyPem: row.private_key_pem, certificatePem: row.certificate_pem } : null;
}

/** Stores the key unless another start stored one first; returns false when it lost that race. */
export async function insertDemoIdpKey(db: Db, key: DemoIdpKey, now: Date): Promise<boolean> {
  try {
    await db
      .insertInto("demo_idp_keys")
      .values({ id: KEY_ID, private_key_pem: key.privateKeyPem, certificate_pem: key.certificatePem, created_at: nowIso(now) })
      .execute();
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/** The clinics whose SAML connection trusts the IdP with this entity ID, by name. */
export async function listClinicsConnectedToIdp(db: Db, idpEntityId: string): Promise<Clinic[]> {
  const rows = await db
    .selectFrom("saml_connections")
    .innerJoin("clinics", "clinics.id", "saml_connections.clinic_id")
    .selectAll("clinics")
    .where("saml_connections.idp_entity_id", "=", idpEntityId)
    .orderBy("clinics.name")
    .orderBy("clinics.subdomain")
    .execute();
  return rows.map(rowToClinic);
}

export async function findClinicConnectedToIdp(db: Db, idpEntityId: string, clinicId: string): Promise<Clinic | null> {
  const row = await db
    .selectFrom("saml_connections")
    .innerJoin("clinics", "clinics.id", "saml_connections.clinic_id")
    .selectAll("clinics")
    .where("saml_connections.idp_entity_id", "=", idpEntityId)
    .where("clinics.id", "=", clinicId)
    .executeTakeFirst();
  return row ? rowToClinic(row) : null;
}
