import { rowToClinic, type Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import type { SamlConnection } from "./connection.js";
import { findSamlConnection } from "./connection.queries.js";

/** Every clinic with a SAML connection, for the daily checks (metadata URLs, certificate expiry). */
export async function listClinicsWithSamlConnection(db: Db): Promise<Array<{ clinic: Clinic; connection: SamlConnection }>> {
  const rows = await db
    .selectFrom("clinics")
    .innerJoin("saml_connections", "saml_connections.clinic_id", "clinics.id")
    .selectAll("clinics")
    .orderBy("clinics.subdomain")
    .execute();
  const found = await Promise.all(
    rows.map(async (row) => ({ clinic: rowToClinic(row), connection: await findSamlConnection(db, row.id) })),
  );
  return found.flatMap(({ clinic, connection }) => (connection ? [{ clinic, connection }] : []));
}
