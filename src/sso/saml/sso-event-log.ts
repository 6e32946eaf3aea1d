import type { Db } from "../../db/open.js";
import type { SsoEvent } from "./sso-events.js";

/** Which events of the clinic's log to show: outcome, one failure code, a time window, one reference. */
export interface SsoEventFilter {
  outcome?: "success" | "failure" | undefined;
  code?: string | undefined;
  since?: string | undefined;
  reference?: string | undefined;
}

/** One page of the clinic's SSO event log, newest first, and whether an older page exists. */
export async function listSsoEventPage(
  db: Db,
  clinicId: string,
  filter: SsoEventFilter,
  page: { size: number; number: number },
): Promise<{ events: SsoEvent[]; hasMore: boolean }> {
  let query = db
    .selectFrom("sso_events")
    .select(["at", "outcome", "code", "reason", "email", "reference", "ip", "signature_verified", "count", "first_at", "fix"])
    .where("clinic_id", "=", clinicId);
  if (filter.outcome) query = query.where("outcome", "=", filter.outcome);
  if (filter.code) query = query.where("code", "=", filter.code);
  if (filter.since) query = query.where("at", ">=", filter.since);
  if (filter.reference) query = query.where("reference", "=", filter.reference);
  // One row more than the page tells whether there is a next page, without counting the whole log.
  const rows = await query
    .orderBy("at", "desc")
    .orderBy("id", "desc")
    .limit(page.size + 1)
    .offset(page.size * (page.number - 1))
    .execute();
  const events = rows.slice(0, page.size).map(({ signature_verified, count, first_at, ...row }) => ({
    ...row,
    signatureVerified: Boolean(signature_verified),
    count: Number(count),
    firstAt: first_at ?? row.at,
  }));
  return { events, hasMore: rows.length > page.size };
}

/** The failure codes present in the clinic's log, for the "failures by reason" filter. */
export async function listSsoFailureCodes(db: Db, clinicId: string): Promise<string[]> {
  const rows = await db
    .selectFrom("sso_events")
    .select("code")
    .distinct()
    .where("clinic_id", "=", clinicId)
    .where("outcome", "=", "failure")
    .orderBy("code")
    .execute();
  return rows.map((r) => r.code);
}
