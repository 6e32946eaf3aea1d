import type { Db } from "../db/open.js";
import { type Room, rowToRoom } from "./room.js";

export async function findRoomByName(db: Db, name: string): Promise<Room | null> {
  const row = await db.selectFrom("rooms").selectAll().where("name", "=", name.toLowerCase()).executeTakeFirst();
  return row ? rowToRoom(row) : null;
}

export async function findRoomForUser(db: Db, userId: string): Promise<Room | null> {
  const row = await db.selectFrom("rooms").selectAll().where("user_id", "=", userId).executeTakeFirst();
  return row ? rowToRoom(row) : null;
}
