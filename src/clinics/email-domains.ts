import { recordAuditEvent, type Actor } from "../audit/audit.js";
import { isUniqueViolation } from "../db/errors.js";
import type { Db } from "../db/open.js";
import { nowIso } from "../ids.js";
import { err, ok, type Result } from "../result.js";
import { checkEmailDomain, domainOfEmail } from "../users/identity-text.js";
import type { Clinic } from "./clinic.js";

// Enough for a group's brands and its old names; a longer list is a sign of something else.
export const MAX_EMAIL_DOMAINS = 20;

export type EmailDomainsRefusal =
  | { kind: "invalid_domain"; domain: string; message: string }
  | { kind: "too_many_domains" }
  | { kind: "domain_locked_elsewhere"; domain: string; clinicName: string };

/** The clinic's locked email domains, sorted; empty when the clinic has not locked any (every domain accepted). */
export async function listClinicEmailDomains(db: Db, clinicId: string): Promise<string[]> {
  const rows = await db.selectFrom("clinic_email_domains").select("domain").where("clinic_id", "=", clinicId).orderBy("domain").execute();
  return rows.map((r) => r.domain);
}

/** The clinic that locked this (normalised) domain, or null. */
export async function findClinicLockingDomain(db: Db, domain: string): Promise<{ id: string; name: string; subdomain: string } | null> {
  const row = await db
    .selectFrom("clinic_email_domains")
    .innerJoin("clinics", "clinics.id", "clinic_email_domains.clinic_id")
    .select(["clinics.id", "clinics.name", "clinics.subdomain"])
    .where("clinic_email_domains.domain", "=", domain)
    .executeTakeFirst();
  return row ?? null;
}

export type EmailDomainRefusal = "outside_clinic_domains" | "domain_of_other_clinic";

/**
 * Whether an address (already through checkEmailAddress) may sign in to or be created in this clinic: a clinic with
 * locked domains accepts only those, and no clinic accepts a domain another clinic has locked.
 */
export async function checkEmailDomainAllowed(db: Db, clinicId: string, email: string): Promise<Result<null, EmailDomainRefusal>> {
  // Both questions in one statement: it runs on every SSO sign-in, inside its transaction.
  const row = await db
    .selectNoFrom((eb) => [
      eb.selectFrom("clinic_email_domains").select("clinic_id").where("domain", "=", domainOfEmail(email)).limit(1).as("owner"),
      eb.exists(eb.selectFrom("clinic_email_domains").select("domain").where("clinic_id", "=", clinicId)).as("locked"),
    ])
    .executeTakeFirstOrThrow();
  if (row.owner !== null) return row.owner === clinicId ? ok(null) : err("domain_of_other_clinic");
  return Boolean(row.locked) ? err("outside_clinic_domains") : ok(null);
}

/**
 * Replaces the clinic's locked domains. A domain another clinic locked first is refused, unless `reassign` (the
 * operator's choice) moves it here. All or nothing, with one audit event per clinic whose list changed.
 */
export async function setClinicEmailDomains(
  db: Db,
  clinic: Clinic,
  input: { domains: readonly string[]; reassign: boolean },
  by: Actor,
  now: Date,
): Promise<{ ok: true; value: string[] } | { ok: false; error: EmailDomainsRefusal }> {
  const domains: string[] = [];
  for (const raw of input.domains) {
    const checked = checkEmailDomain(raw);
    if (!checked.ok) return { ok: false, error: { kind: "invalid_domain", domain: raw.slice(0, 80), message: checked.error } };
    if (!domains.includes(checked.value)) domains.push(checked.value);
  }
  if (domains.length > MAX_EMAIL_DOMAINS) return { ok: false, error: { kind: "too_many_domains" } };
  try {
    return await db.transaction().execute(async (trx) => {
      const before = await listClinicEmailDomains(trx, clinic.id);
      for (const domain of domains.filter((d) => !before.includes(d))) {
        const owner = await findClinicLockingDomain(trx, domain);
        if (owner && !input.reassign)
          return { ok: false, error: { kind: "domain_locked_elsewhere", domain, clinicName: owner.name } } as const;
        if (owner) {
          await trx.deleteFrom("clinic_email_domains").where("domain", "=", domain).execute();
          await recordAuditEvent(
            trx,
            {
              ...by,
              clinicId: owner.id,
              action: "email_domains.reassigned_away",
              target: domain,
              outcome: "success",
              detail: { to: clinic.subdomain },
            },
            now,
          );
        }
        await trx
          .insertInto("clinic_email_domains")
          .values({ domain, clinic_id: clinic.id, created_at: nowIso(now) })
          .execute();
      }
      const removed = before.filter((d) => !domains.includes(d));
      if (removed.length)
        await trx.deleteFrom("clinic_email_domains").where("clinic_id", "=", clinic.id).where("domain", "in", removed).execute();
      await recordAuditEvent(
        trx,
        {
          ...by,
          clinicId: clinic.id,
          action: "email_domains.set",
          outcome: "success",
          detail: { domains: domains.join(" "), previous: before.join(" ") },
        },
        now,
      );
      return ok([...domains].sort());
    });
  } catch (error) {
    // Two clinics locking one domain at the same moment: the primary key lets the first one have it.
    if (!isUniqueViolation(error)) throw error;
    const taken = await Promise.all(domains.map(async (domain) => ({ domain, owner: await findClinicLockingDomain(db, domain) })));
    const lost = taken.find((t) => t.owner && t.owner.id !== clinic.id);
    if (!lost?.owner) throw error;
    return { ok: false, error: { kind: "domain_locked_elsewhere", domain: lost.domain, clinicName: lost.owner.name } };
  }
}
