import type { Db } from "../db/open.js";
import type { InvitationTable } from "./invitation.table.js";

export interface Invitation {
  tokenHash: string;
  userId: string;
  clinicId: string;
  createdAt: string;
  expiresAt: string;
  acceptedAt: string | null;
}

export function rowToInvitation(row: InvitationTable): Invitation {
  return {
    tokenHash: row.token_hash,
    userId: row.user_id,
    clinicId: row.clinic_id,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    acceptedAt: row.accepted_at,
  };
}

export async function findInvitationByTokenHash(db: Db, tokenHash: string): Promise<Invitation | null> {
  const row = await db.selectFrom("invitations").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  return row ? rowToInvitation(row) : null;
}

/** Gives a person a new invitation; any earlier one of theirs stops working. Call inside a transaction. */
export async function replaceInvitation(db: Db, row: InvitationTable): Promise<void> {
  await db.deleteFrom("invitations").where("user_id", "=", row.user_id).execute();
  await db.insertInto("invitations").values(row).execute();
}

/** Marks an invitation used; false when another request used it first. */
export async function markInvitationAccepted(db: Db, tokenHash: string, at: string): Promise<boolean> {
  const result = await db
    .updateTable("invitations")
    .set({ accepted_at: at })
    .where("token_hash", "=", tokenHash)
    .where("accepted_at", "is", null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
