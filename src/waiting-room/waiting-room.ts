/**
 * A provider's waiting room: patients join with only a name, and their browser holds a random token that is
 * the only way to see or leave their own entry. The queue lives in the database, so it survives a restart and
 * is shared by every app instance.
 */
import { z } from "zod";
import type { Db } from "../db/open.js";
import { newId, newSecret, nowIso, sha256Hex } from "../ids.js";
import { err, ok, type Result } from "../result.js";
import type { WaitingPatientTable } from "./waiting-patient.table.js";

export type WaitingStatus = WaitingPatientTable["status"];

export interface WaitingPatient {
  id: string;
  roomId: string;
  name: string;
  status: WaitingStatus;
  joinedAt: string;
}

export function rowToWaitingPatient(row: WaitingPatientTable): WaitingPatient {
  return { id: row.id, roomId: row.room_id, name: row.name, status: row.status, joinedAt: row.joined_at };
}

// A name a provider reads aloud: letters (any script), spaces, and the marks names use; no digits, markup or
// control characters, so nothing a patient types can pass for an instruction on the provider's screen.
export const patientNameSchema = z
  .string()
  .trim()
  .min(1, "Type your name so your provider knows who is waiting.")
  .max(60, "Your name must be at most 60 characters.")
  .regex(/^[\p{L}\p{M}][\p{L}\p{M} .'’-]*$/u, "Use only letters, spaces, hyphens, apostrophes and full stops in your name.");

// More than this many people waiting for one provider is a flood, not a clinic day.
export const ROOM_CAPACITY = 50;
// A patient's page checks in every few seconds; one silent this long has closed it and is no longer shown.
export const PRESENCE_WINDOW_MS = 90_000;
// Checking in writes at most this often, so polling does not turn into a write per request.
const TOUCH_INTERVAL_MS = 20_000;

export type JoinRefusal = "invalid_name" | "room_full";

/** Puts a patient in a room's queue; returns the token for their browser (only its hash is stored). */
export async function joinWaitingRoom(
  db: Db,
  roomId: string,
  typedName: unknown,
  now: Date,
): Promise<Result<{ token: string; patient: WaitingPatient }, JoinRefusal> & { message?: string }> {
  const name = patientNameSchema.safeParse(typedName);
  if (!name.success) return { ...err("invalid_name"), message: name.error.issues[0]!.message };
  const present = await countPresent(db, roomId, now);
  if (present >= ROOM_CAPACITY) return err("room_full");
  const token = newSecret();
  const row: WaitingPatientTable = {
    id: newId(),
    room_id: roomId,
    token_hash: sha256Hex(token),
    name: name.data,
    status: "waiting",
    joined_at: nowIso(now),
    last_seen_at: nowIso(now),
    updated_at: nowIso(now),
  };
  await db.insertInto("waiting_patients").values(row).execute();
  return ok({ token, patient: rowToWaitingPatient(row) });
}

async function countPresent(db: Db, roomId: string, now: Date): Promise<number> {
  const row = await db
    .selectFrom("waiting_patients")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where("room_id", "=", roomId)
    .where("status", "=", "waiting")
    .where("last_seen_at", ">=", nowIso(new Date(now.getTime() - PRESENCE_WINDOW_MS)))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The entry behind a patient's token in this room, marking them present; null for any other token. */
export async function findOwnWaitingEntry(db: Db, roomId: string, token: string, now: Date): Promise<WaitingPatient | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const row = await db
    .selectFrom("waiting_patients")
    .selectAll()
    .where("token_hash", "=", sha256Hex(token))
    .where("room_id", "=", roomId)
    .executeTakeFirst();
  if (!row) return null;
  if (now.getTime() - new Date(row.last_seen_at).getTime() > TOUCH_INTERVAL_MS) {
    await db
      .updateTable("waiting_patients")
      .set({ last_seen_at: nowIso(now) })
      .where("id", "=", row.id)
      .execute();
  }
  return rowToWaitingPatient(row);
}

/** The patient leaves: only their own token can do it. */
export async function leaveWaitingRoom(db: Db, roomId: string, token: string, now: Date): Promise<void> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return;
  await db
    .updateTable("waiting_patients")
    .set({ status: "left", updated_at: nowIso(now) })
    .where("token_hash", "=", sha256Hex(token))
    .where("room_id", "=", roomId)
    .execute();
}

/** Who the provider sees: people waiting (with their page still open) and people admitted, oldest first. */
export async function listWaitingRoom(db: Db, roomId: string, now: Date): Promise<WaitingPatient[]> {
  const since = nowIso(new Date(now.getTime() - PRESENCE_WINDOW_MS));
  const rows = await db
    .selectFrom("waiting_patients")
    .selectAll()
    .where("room_id", "=", roomId)
    .where((eb) => eb.or([eb.and([eb("status", "=", "waiting"), eb("last_seen_at", ">=", since)]), eb("status", "=", "admitted")]))
    .orderBy("joined_at")
    .orderBy("id")
    .execute();
  return rows.map(rowToWaitingPatient);
}

export type ProviderDecision = "admitted" | "dismissed";

/** The provider admits or dismisses one entry of their own room; an entry of another room is not found. */
export async function decideOnPatient(
  db: Db,
  roomId: string,
  patientId: string,
  decision: ProviderDecision,
  now: Date,
): Promise<Result<WaitingPatient, "not_found">> {
  if (typeof patientId !== "string" || patientId.length > 64) return err("not_found");
  const from: WaitingStatus[] = decision === "admitted" ? ["waiting"] : ["waiting", "admitted"];
  const updated = await db
    .updateTable("waiting_patients")
    .set({ status: decision, updated_at: nowIso(now) })
    .where("id", "=", patientId)
    .where("room_id", "=", roomId)
    .where("status", "in", from)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) !== 1) return err("not_found");
  const row = await db.selectFrom("waiting_patients").selectAll().where("id", "=", patientId).executeTakeFirstOrThrow();
  return ok(rowToWaitingPatient(row));
}
