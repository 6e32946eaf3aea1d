import { randomBytes } from "node:crypto";
import { recordAuditEvent, type Actor } from "../audit/audit.js";
import type { Db } from "../db/open.js";
import { nowIso, sha256Hex } from "../ids.js";

// Ten codes: enough for a year of rare emergencies; a new set replaces the old one.
export const RECOVERY_CODES_PER_SET = 10;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * A code of 128 random bits as 26 Crockford base32 characters in groups ("7KQ2M-…"). At 128 bits a guess has
 * no chance, so a fast hash (SHA-256) stores it as safely as argon2id would and lets the sign-in find it by its hash.
 */
function newRecoveryCode(): string {
  let value = BigInt(`0x${randomBytes(16).toString("hex")}`);
  let text = "";
  for (let i = 0; i < 26; i += 1) {
    text = CROCKFORD[Number(value & 31n)]! + text;
    value >>= 5n;
  }
  return [text.slice(0, 5), text.slice(5, 10), text.slice(10, 15), text.slice(15, 20), text.slice(20)].join("-");
}

/** A code as typed: case, spaces and hyphens ignored, and the letters people mistake for digits read as those digits. */
export function normaliseRecoveryCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

function hashRecoveryCode(typed: string): string {
  return sha256Hex(`recovery-code:${normaliseRecoveryCode(typed)}`);
}

/**
 * Makes a new set of one-time recovery codes for one clinic admin, replacing any earlier set, and returns them:
 * the only time they exist in clear. Audited (never the codes).
 */
export async function generateRecoveryCodes(db: Db, clinicId: string, userId: string, by: Actor, now: Date): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES_PER_SET }, newRecoveryCode);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom("recovery_codes").where("user_id", "=", userId).execute();
    await trx
      .insertInto("recovery_codes")
      .values(
        codes.map((code) => ({
          code_hash: hashRecoveryCode(code),
          user_id: userId,
          clinic_id: clinicId,
          created_at: nowIso(now),
          used_at: null,
        })),
      )
      .execute();
    await recordAuditEvent(
      trx,
      { ...by, clinicId, action: "recovery_codes.generated", target: userId, outcome: "success", detail: { count: codes.length } },
      now,
    );
  });
  return codes;
}

export async function countUnusedRecoveryCodes(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom("recovery_codes")
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .where("user_id", "=", userId)
    .where("used_at", "is", null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Spends one of this person's unused codes for this clinic: true when the typed code was one and is now used.
 * The used_at condition in the update makes two simultaneous uses of one code end with one winner.
 */
export async function spendRecoveryCode(db: Db, input: { userId: string; clinicId: string; typed: string }, now: Date): Promise<boolean> {
  const result = await db
    .updateTable("recovery_codes")
    .set({ used_at: nowIso(now) })
    .where("code_hash", "=", hashRecoveryCode(input.typed))
    .where("user_id", "=", input.userId)
    .where("clinic_id", "=", input.clinicId)
    .where("used_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
