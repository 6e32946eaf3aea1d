import { recordAuditEvent, type Actor } from "../audit/audit.js";
import type { Db } from "../db/open.js";
import { err, ok, type Result } from "../result.js";

/**
 * Gives a member a new email and/or name (their IdP renamed them), with an audit event, inside the caller's
 * transaction. Refused without writing when another account already has the email; a concurrent taker of the
 * same address makes the update throw a unique violation instead.
 */
export async function changeMemberIdentity(
  trx: Db,
  clinicId: string,
  userId: string,
  change: { email: string; name: string },
  by: Actor,
  now: Date,
): Promise<Result<{ changed: boolean }, "email_taken">> {
  const before = await trx.selectFrom("users").select(["email", "name"]).where("id", "=", userId).executeTakeFirstOrThrow();
  const email = change.email.toLowerCase();
  if (before.email === email && before.name === change.name) return ok({ changed: false });
  if (before.email !== email) {
    const taken = await trx.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst();
    if (taken) return err("email_taken");
  }
  await trx.updateTable("users").set({ email, name: change.name }).where("id", "=", userId).execute();
  await recordAuditEvent(
    trx,
    {
      ...by,
      clinicId,
      action: "member.identity_change",
      target: email,
      outcome: "success",
      detail: { emailChanged: before.email !== email, previousEmail: before.email, nameChanged: before.name !== change.name },
    },
    now,
  );
  return ok({ changed: true });
}
