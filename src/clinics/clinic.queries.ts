import { sql } from "kysely";
import { isUniqueViolation } from "../db/errors.js";
import type { Db } from "../db/open.js";
import { newId, nowIso } from "../ids.js";
import { err, ok, type Result } from "../result.js";
import { type Clinic, rowToClinic } from "./clinic.js";

export async function findClinicBySubdomain(db: Db, subdomain: string): Promise<Clinic | null> {
  const row = await db.selectFrom("clinics").selectAll().where("subdomain", "=", subdomain).executeTakeFirst();
  return row ? rowToClinic(row) : null;
}

export async function getClinic(db: Db, id: string): Promise<Clinic> {
  return rowToClinic(await db.selectFrom("clinics").selectAll().where("id", "=", id).executeTakeFirstOrThrow());
}

export type CreateClinicError = "subdomain_taken";

export async function createClinic(
  db: Db,
  input: { subdomain: string; name: string; seats: number },
  now: Date,
): Promise<Result<Clinic, CreateClinicError>> {
  const row = { id: newId(), subdomain: input.subdomain, name: input.name, seats: input.seats, created_at: nowIso(now) };
  // The unique index decides a race between two creations; the pre-check only gives the common case a clean answer.
  if (await findClinicBySubdomain(db, input.subdomain)) return err("subdomain_taken");
  try {
    await db.insertInto("clinics").values(row).execute();
  } catch (error) {
    if (isUniqueViolation(error)) return err("subdomain_taken");
    throw error;
  }
  return ok(rowToClinic(row));
}

/** Active and invited members hold a seat; deactivated ones have given theirs back. */
export async function countSeatsUsed(db: Db, clinicId: string): Promise<number> {
  const row = await db
    .selectFrom("memberships")
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .where("clinic_id", "=", clinicId)
    .where("status", "in", ["active", "invited"])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Serialises seat-consuming writes of one clinic inside a transaction. A no-op UPDATE takes the row lock on
 * PostgreSQL and the write lock on SQLite, so two people racing for the last seat cannot both win.
 * Returns the clinic's seat count as it stands under the lock.
 */
export async function lockClinicSeats(trx: Db, clinicId: string): Promise<number> {
  const row = await trx
    .updateTable("clinics")
    .set({ seats: sql`seats` })
    .where("id", "=", clinicId)
    .returning("seats")
    .executeTakeFirstOrThrow();
  return Number(row.seats);
}
