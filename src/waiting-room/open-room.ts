import type { Clinic } from "../clinics/clinic.js";
import { getClinic } from "../clinics/clinic.queries.js";
import type { Db } from "../db/open.js";
import type { Room } from "../rooms/room.js";
import { findRoomByName } from "../rooms/room.queries.js";
import type { User } from "../users/user.js";
import { findMembershipOfUser, getUser } from "../users/user.queries.js";

/** A waiting room patients can join: its provider is an active member of the clinic named on the page. */
export interface OpenRoom {
  room: Room;
  provider: User;
  clinic: Clinic;
}

/** The room of this name with its provider and clinic, or null when there is none or its provider is not active. */
export async function findOpenRoom(db: Db, name: string): Promise<OpenRoom | null> {
  const room = await findRoomByName(db, name);
  const membership = room ? await findMembershipOfUser(db, room.userId) : null;
  if (!room || !membership || membership.status !== "active") return null;
  const [provider, clinic] = await Promise.all([getUser(db, room.userId), getClinic(db, membership.clinicId)]);
  return { room, provider, clinic };
}
