import { recordAuditEvent } from "../audit/audit.js";
import { isUniqueViolation } from "../db/errors.js";
import type { Db } from "../db/open.js";
import { newId, nowIso } from "../ids.js";
import type { User } from "../users/user.js";
import { type Room, roomNameSchema, rowToRoom, suggestRoomName } from "./room.js";
import { findRoomByName, findRoomForUser } from "./room.queries.js";

/** The words for a name someone else holds; the other refusals' words come from roomNameSchema. */
export const ROOM_NAME_TAKEN = "is taken";

export type ChooseRoomNameResult =
  | { ok: true; value: Room }
  /** `message` completes a sentence about the name: "must be at least 3 characters". */
  | { ok: false; error: "invalid"; message: string }
  | { ok: false; error: "room_name_taken"; message: typeof ROOM_NAME_TAKEN }
  | { ok: false; error: "user_has_room" };

export type RoomNameAvailability = { available: true; name: string } | { available: false; reason: string };

// A suggestion is a convenience: past this many taken variants ("-2" … "-50") the person is better served choosing.
export const SUGGESTION_ATTEMPTS = 50;

/**
 * Gives a member their room (once), with its audit event in the same transaction. Asking again for the room
 * they already have succeeds, so a double-submitted form ends where the first one did.
 */
export async function chooseRoomName(
  db: Db,
  user: Pick<User, "id">,
  clinicId: string,
  rawName: string,
  ip: string | null,
  now: Date,
): Promise<ChooseRoomNameResult> {
  const parsed = roomNameSchema.safeParse(rawName);
  if (!parsed.success) return { ok: false, error: "invalid", message: firstMessage(parsed.error.issues) };
  const name = parsed.data;
  const audit = { actor: user.id, clinicId, action: "room.choose", target: name, ip } as const;

  const existing = await findRoomForUser(db, user.id);
  if (existing) return existing.name === name ? { ok: true, value: existing } : refuse(db, audit, "user_has_room", now);

  const row = { id: newId(), name, user_id: user.id, created_at: nowIso(now) };
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto("rooms").values(row).execute();
      await recordAuditEvent(trx, { ...audit, outcome: "success" }, now);
    });
    return { ok: true, value: rowToRoom(row) };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  // The unique index refused the insert and the transaction rolled back (on PostgreSQL it could not go on):
  // look again outside it. The same person's concurrent click for the same name is not a refusal.
  const mine = await findRoomForUser(db, user.id);
  if (mine?.name === name) return { ok: true, value: mine };
  return refuse(db, audit, mine ? "user_has_room" : "room_name_taken", now);
}

async function refuse(
  db: Db,
  audit: { actor: string; clinicId: string; action: string; target: string; ip: string | null },
  error: "user_has_room" | "room_name_taken",
  now: Date,
): Promise<ChooseRoomNameResult> {
  await recordAuditEvent(db, { ...audit, outcome: "failure", detail: { reason: error } }, now);
  return error === "room_name_taken" ? { ok: false, error, message: ROOM_NAME_TAKEN } : { ok: false, error };
}

/** True while a member has no room yet: choosing its name is the last step of joining, before the dashboard. */
export async function needsOnboarding(db: Db, userId: string): Promise<boolean> {
  return (await findRoomForUser(db, userId)) === null;
}

/** Whether a typed name could be chosen right now, with the reason in words when not. A hint: the insert decides. */
export async function checkRoomNameAvailability(db: Db, rawName: string): Promise<RoomNameAvailability> {
  const parsed = roomNameSchema.safeParse(rawName);
  if (!parsed.success) return { available: false, reason: firstMessage(parsed.error.issues) };
  if (await findRoomByName(db, parsed.data)) return { available: false, reason: ROOM_NAME_TAKEN };
  return { available: true, name: parsed.data };
}

/** A free room name derived from a person's name ("ana-ruiz", else "ana-ruiz-2", "ana-ruiz-3", …), or null. */
export async function suggestAvailableRoomName(db: Db, personName: string): Promise<string | null> {
  const base = suggestRoomName(personName);
  if (base === null) return null;
  const candidates = [base];
  for (let n = 2; n <= SUGGESTION_ATTEMPTS; n++) {
    const suffix = `-${n}`;
    // Keep within 40 characters by shortening the base, never the number, and never leave "--".
    const candidate = `${base.slice(0, 40 - suffix.length).replace(/-+$/, "")}${suffix}`;
    if (roomNameSchema.safeParse(candidate).success) candidates.push(candidate);
  }
  // One query for every candidate rather than one per guess.
  const taken = await db.selectFrom("rooms").select("name").where("name", "in", candidates).execute();
  const takenNames = new Set(taken.map((r) => r.name));
  return candidates.find((c) => !takenNames.has(c)) ?? null;
}

function firstMessage(issues: ReadonlyArray<{ message: string }>): string {
  return issues[0]?.message ?? "is not a valid room name";
}
