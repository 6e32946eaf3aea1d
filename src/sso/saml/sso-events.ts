import type { Db } from "../../db/open.js";
import { CLEAN_UP_BATCH, deleteInBatches } from "../../db/delete-in-batches.js";
import { newId, nowIso } from "../../ids.js";

/** One row of a clinic's SSO event log as its admins and the operator see it. */
export interface SsoEvent {
  /** When the (latest) post of this row arrived. */
  at: string;
  outcome: "success" | "failure";
  code: string;
  /** Our technical sentence; for a post whose signature did not verify, it never carries the message's own words. */
  reason: string;
  email: string | null;
  /** The reference shown on the (latest) error page of this row. */
  reference: string;
  ip: string | null;
  /** False when no trusted signature covered the message: nothing in it came from the IdP for sure. */
  signatureVerified: boolean;
  /** Posts this row stands for: unverified posts from one address are folded into one row. */
  count: number;
  /** When the first post of this row arrived. */
  firstAt: string;
  /** For a failure: what to change, in the IdP's own terms (read where a page shows it). */
  fix?: string | null;
}

export type NewSsoEvent = Omit<SsoEvent, "count" | "firstAt">;

export interface SsoEventPolicy {
  /** Rows older than this are deleted by the periodic clean-up (pruneSsoEvents). */
  retentionDays: number;
}

// Unverified posts from one address keep folding into its row while they come less than an hour apart.
export const UNVERIFIED_FOLD_WINDOW_MS = 60 * 60_000;
// Per clinic, this many addresses at a time get a row of their own; posts from any other address share one
// row (ip null), so a flood from many addresses cannot push the clinic's real failures out of the log.
export const MAX_UNVERIFIED_ADDRESS_ROWS = 5;

/**
 * Records one SSO attempt. A post whose signature did not verify is anyone's text sent from anywhere: it is
 * counted into its address's row (or the shared row) instead of getting a row of its own.
 */
export async function recordSsoEvent(db: Db, clinicId: string, event: NewSsoEvent, now: Date): Promise<void> {
  if (!event.signatureVerified) {
    const since = nowIso(new Date(now.getTime() - UNVERIFIED_FOLD_WINDOW_MS));
    if (await foldIntoUnverifiedRow(db, clinicId, event.ip, since, event)) return;
    if (event.ip !== null && (await countUnverifiedAddressRows(db, clinicId, since)) >= MAX_UNVERIFIED_ADDRESS_ROWS) {
      const shared = { ...event, ip: null };
      if (await foldIntoUnverifiedRow(db, clinicId, null, since, shared)) return;
      return insertEvent(db, clinicId, shared);
    }
  }
  await insertEvent(db, clinicId, event);
}

/** Deletes every clinic's events older than the retention period. */
export async function pruneSsoEvents(db: Db, policy: SsoEventPolicy, now: Date, batch = CLEAN_UP_BATCH): Promise<number> {
  const cutoff = nowIso(new Date(now.getTime() - policy.retentionDays * 24 * 3_600_000));
  return deleteInBatches(
    (limit) =>
      db
        .deleteFrom("sso_events")
        .where("id", "in", db.selectFrom("sso_events").select("id").where("at", "<", cutoff).limit(limit))
        .executeTakeFirstOrThrow(),
    batch,
  );
}

async function insertEvent(db: Db, clinicId: string, event: NewSsoEvent): Promise<void> {
  await prepareEventRow(db, clinicId, event).execute();
}

/**
 * The row of an attempt whose signature verified (never folded: each has its own row), not yet written: for a
 * sign-in that writes its records together (see writeTogether).
 */
export function prepareVerifiedSsoEvent(db: Db, clinicId: string, event: NewSsoEvent & { signatureVerified: true }) {
  return prepareEventRow(db, clinicId, event);
}

function prepareEventRow(db: Db, clinicId: string, event: NewSsoEvent) {
  const { signatureVerified, ...rest } = event;
  return db
    .insertInto("sso_events")
    .values({ id: newId(), clinic_id: clinicId, ...rest, signature_verified: Number(signatureVerified), count: 1, first_at: event.at });
}

/** Adds the post to the address's live unverified row (ip null: the shared row); false when there is none. */
async function foldIntoUnverifiedRow(db: Db, clinicId: string, ip: string | null, since: string, event: NewSsoEvent): Promise<boolean> {
  const result = await db
    .updateTable("sso_events")
    .set((eb) => ({ count: eb("count", "+", 1), at: event.at, code: event.code, reason: event.reason, reference: event.reference }))
    .where("clinic_id", "=", clinicId)
    .where("signature_verified", "=", 0)
    .where("ip", ip === null ? "is" : "=", ip)
    .where("at", ">=", since)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

async function countUnverifiedAddressRows(db: Db, clinicId: string, since: string): Promise<number> {
  const row = await db
    .selectFrom("sso_events")
    .select((eb) => eb.fn.countAll<string | number>().as("n"))
    .where("clinic_id", "=", clinicId)
    .where("signature_verified", "=", 0)
    .where("ip", "is not", null)
    .where("at", ">=", since)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

function selectEvents(db: Db, clinicId: string) {
  return db
    .selectFrom("sso_events")
    .select(["at", "outcome", "code", "reason", "email", "reference", "ip", "signature_verified", "count", "first_at"])
    .where("clinic_id", "=", clinicId);
}

type EventRow = Awaited<ReturnType<ReturnType<typeof selectEvents>["executeTakeFirstOrThrow"]>>;

function rowToSsoEvent({ signature_verified, count, first_at, ...row }: EventRow): SsoEvent {
  return { ...row, signatureVerified: Boolean(signature_verified), count: Number(count), firstAt: first_at ?? row.at };
}

export async function listSsoEvents(
  db: Db,
  clinicId: string,
  options: { limit: number; outcome?: "success" | "failure" },
): Promise<SsoEvent[]> {
  let query = selectEvents(db, clinicId);
  if (options.outcome) query = query.where("outcome", "=", options.outcome);
  const rows = await query.orderBy("at", "desc").limit(options.limit).execute();
  return rows.map(rowToSsoEvent);
}

/**
 * The clinic's latest failures for its admins: up to `limit` from verified messages (or decided without one),
 * plus a few rows of unverified posts, newest first. However many unverified posts arrive, they never take
 * the places of the failures the IdP really reported.
 */
export async function listRecentSsoProblems(db: Db, clinicId: string, limit: number): Promise<SsoEvent[]> {
  const failures = selectEvents(db, clinicId).where("outcome", "=", "failure").orderBy("at", "desc");
  const [verified, unverified] = await Promise.all([
    failures.where("signature_verified", "=", 1).limit(limit).execute(),
    failures
      .where("signature_verified", "=", 0)
      .limit(MAX_UNVERIFIED_ADDRESS_ROWS + 1)
      .execute(),
  ]);
  return [...verified, ...unverified].map(rowToSsoEvent).sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}
