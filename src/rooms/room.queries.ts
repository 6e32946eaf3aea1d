import type { Db } from "../db/open.js";
import { isUniqueViolation } from "../db/errors.js";
import { newId, nowIso } from "../ids.js";
import { err, ok, type Result } from "../result.js";
import { type Room, rowToRoom } from "./room.js";

export async function findRoomByName(db: Db, name: string): Promise<Room | null> {
  const row = await db.selectFrom("rooms").selectAll().where("name", "=", name.toLowerCase()).executeTakeFirst();
  return row ? rowToRoom(row) : null;
}

export async function findRoomForUser(db: Db, userId: string): Promise<Room | null> {
  const row = await db.selectFrom("rooms").selectAll().where("user_id", "=", userId).executeTakeFirst();
  return row ? rowToRoom(row) : null;
}

/** Gives a user their room; the unique index settles two people (or two clicks) asking for one name at once. */
export async function createRoom(db: Db, userId: string, name: string): Promise<Result<Room, "room_name_taken" | "user_has_room">> {
  const existing = await findRoomForUser(db, userId);
  if (existing) return err("user_has_room");
  const row = { id: newId(), name: name.toLowerCase(), user_id: userId, created_at: nowIso() };
  try {
    await db.insertInto("rooms").values(row).execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const mine = await findRoomForUser(db, userId);
    return mine?.name === row.name ? ok(mine) : err(mine ? "user_has_room" : "room_name_taken");
  }
  return ok(rowToRoom(row));
}
