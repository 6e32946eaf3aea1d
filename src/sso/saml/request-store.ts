import { randomBytes } from "node:crypto";
import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { CLEAN_UP_BATCH, deleteInBatches } from "../../db/delete-in-batches.js";
import { nowIso } from "../../ids.js";
import { browserBindingMatches, hashBrowserBinding } from "./browser-binding.js";
import type { SamlConnection } from "./connection.js";

// Test sign-ins' request IDs start with this; real ones with "_" and a hex digit (an ID must be an XML NCName).
const TEST_REQUEST_ID_PREFIX = "_test_";

// An AuthnRequest can be answered within ten minutes, once (the ACS marks it consumed).
export const REQUEST_LIFETIME_MS = 10 * 60_000;
// Requests an hour past their expiry can no longer even be diagnosed usefully: keep the table small.
export const REQUEST_RETENTION_MS = 3_600_000;

export type RequestFailureCode =
  | "unsolicited_not_allowed"
  | "unknown_request"
  | "request_for_other_clinic"
  | "request_expired"
  | "request_from_other_browser"
  | "request_already_used"
  | "request_purpose_mismatch";

/** A real sign-in, or a test sign-in trusting the connection's certificates or only the staged next one. */
export type RequestPurpose = "sign_in" | { test: "current" | "next" };

type Step<T> = { ok: true; value: T } | { ok: false; code: RequestFailureCode; reason: string };

/** A new AuthnRequest: where to go afterwards, the browser that starts it, and what it is for (a sign-in by default). */
export interface SamlRequestToIssue {
  /** A safe local path, already checked. */
  returnTo: string;
  /** The starting browser's binding value (browser-binding.ts); only its hash is stored. */
  browserBinding: string;
  purpose?: RequestPurpose | undefined;
}

/** A response's claim to answer one of our requests, as it reached the ACS. */
export interface SamlRequestAnswer {
  connection: SamlConnection;
  /** The response's InResponseTo; null for an IdP-initiated response. */
  inResponseTo: string | null;
  /** The binding cookie of the browser that posted the response, if it sent one. */
  browserBinding: string | null;
  /** What the ACS expects the request to be for (a sign-in by default). */
  purpose?: RequestPurpose | undefined;
}

/**
 * Records a new AuthnRequest in the shared database (so any app instance can receive the answer), bound to the
 * browser that starts it, and returns its ID.
 */
export async function issueSamlRequest(db: Db, clinicId: string, request: SamlRequestToIssue, now: Date): Promise<string> {
  const { returnTo, browserBinding, purpose = "sign_in" } = request;
  const requestId = `${purpose === "sign_in" ? "_" : TEST_REQUEST_ID_PREFIX}${randomBytes(20).toString("hex")}`;
  await db
    .insertInto("saml_requests")
    .values({
      id: requestId,
      clinic_id: clinicId,
      return_to: returnTo,
      created_at: nowIso(now),
      expires_at: nowIso(new Date(now.getTime() + REQUEST_LIFETIME_MS)),
      consumed_at: null,
      browser_binding_hash: hashBrowserBinding(browserBinding),
      test_certificates: purpose === "sign_in" ? null : purpose.test,
    })
    .execute();
  return requestId;
}

/** Forgets requests an hour past their expiry (run by the periodic clean-up, not on the sign-in path). */
export async function pruneSamlRequests(db: Db, now: Date, batch = CLEAN_UP_BATCH): Promise<number> {
  const cutoff = nowIso(new Date(now.getTime() - REQUEST_RETENTION_MS));
  return deleteInBatches(
    (limit) =>
      db
        .deleteFrom("saml_requests")
        .where("id", "in", db.selectFrom("saml_requests").select("id").where("expires_at", "<", cutoff).limit(limit))
        .executeTakeFirstOrThrow(),
    batch,
  );
}

/**
 * Marks our AuthnRequest answered (once), or accepts an unsolicited response if the clinic allows it.
 * Answers the page the person asked for when they started (null for an IdP-initiated sign-in).
 */
export async function answerSamlRequest(db: Db, clinic: Clinic, answer: SamlRequestAnswer, now: Date): Promise<Step<string | null>> {
  const { inResponseTo, browserBinding, purpose = "sign_in" } = answer;
  if (inResponseTo !== null && browserBinding !== null) {
    // The usual answer in one statement: every condition checkSamlRequest checks, met by this row, and it is used up.
    // The binding is compared by its SHA-256 (as stored), so comparison timing could tell only of a hash, not the value.
    const answered = await db
      .updateTable("saml_requests")
      .set({ consumed_at: nowIso(now) })
      .where("id", "=", inResponseTo)
      .where("clinic_id", "=", clinic.id)
      .where("test_certificates", purpose === "sign_in" ? "is" : "=", purpose === "sign_in" ? null : purpose.test)
      .where("expires_at", ">", nowIso(now))
      .where("browser_binding_hash", "=", hashBrowserBinding(browserBinding))
      // Null until answered: another response (or another app instance) answering first leaves nothing to update.
      .where("consumed_at", "is", null)
      .returning("return_to")
      .executeTakeFirst();
    if (answered) return { ok: true, value: answered.return_to };
  }
  // Not answered: the checks, one by one, say why (or accept an unsolicited response the clinic allows).
  const checked = await checkSamlRequest(db, clinic, answer, now);
  if (!checked.ok || inResponseTo === null) return checked;
  // Every check passed a moment after the update found nothing to answer: another response answered it in between.
  return { ok: false, code: "request_already_used", reason: "The sign-in request was already answered once" };
}

/** Whether a response to this request would be accepted now, without answering it. */
export async function checkSamlRequest(db: Db, clinic: Clinic, answer: SamlRequestAnswer, now: Date): Promise<Step<string | null>> {
  const { connection, inResponseTo, browserBinding, purpose = "sign_in" } = answer;
  if (inResponseTo === null) {
    // A test sign-in always answers the test's own request; an unsolicited response proves nothing about it.
    if (purpose !== "sign_in")
      return { ok: false, code: "request_purpose_mismatch", reason: "A test sign-in was answered by a response that answers no request" };
    // IdP-initiated responses have no InResponseTo: only allowed when the connection says so.
    if (!connection.allowIdpInitiated) {
      return {
        ok: false,
        code: "unsolicited_not_allowed",
        reason: "The response answers no request (IdP-initiated) and this clinic only accepts sign-ins started from its sign-in page",
      };
    }
    return { ok: true, value: null };
  }
  const row = await db.selectFrom("saml_requests").selectAll().where("id", "=", inResponseTo).executeTakeFirst();
  if (!row)
    return {
      ok: false,
      code: "unknown_request",
      reason: `InResponseTo ${JSON.stringify(inResponseTo.slice(0, 80))} matches no sign-in request we sent`,
    };
  if (row.clinic_id !== clinic.id)
    return { ok: false, code: "request_for_other_clinic", reason: "InResponseTo names a sign-in request made for another clinic" };
  // A test's answer never signs anyone in, and a real request's answer is never a test: each goes where it was asked.
  if (row.test_certificates !== (purpose === "sign_in" ? null : purpose.test))
    return {
      ok: false,
      code: "request_purpose_mismatch",
      reason:
        row.test_certificates === null
          ? "The response answers a real sign-in request, not the test sign-in"
          : "The response answers a test sign-in request: it can show a diagnosis, never sign anyone in",
    };
  if (row.expires_at <= nowIso(now))
    return {
      ok: false,
      code: "request_expired",
      reason: `The sign-in request expired at ${row.expires_at} (requests are valid for 10 minutes)`,
    };
  // Login CSRF: an answer posted by another browser (an attacker's own response) is refused, before the request is used up.
  if (!browserBindingMatches(browserBinding, row.browser_binding_hash))
    return {
      ok: false,
      code: "request_from_other_browser",
      reason:
        browserBinding === null
          ? "The response came without the cookie of the browser that started this sign-in: posted from another browser, or the browser blocks the cookie"
          : "The response came from a browser other than the one that started this sign-in (its binding cookie does not match the request)",
    };
  if (row.consumed_at !== null) return { ok: false, code: "request_already_used", reason: "The sign-in request was already answered once" };
  return { ok: true, value: row.return_to };
}

/**
 * Whether an ID has the form of a test request's. Only a hint, so that an ACS post answering a real request costs no
 * look-up: the stored request, never the ID, decides what an answer may do.
 */
export function looksLikeTestRequestId(requestId: string): boolean {
  return requestId.startsWith(TEST_REQUEST_ID_PREFIX);
}

/** Which test a request of this clinic was started for; null for a real sign-in request or an unknown ID. */
export async function findTestRequestCertificates(db: Db, clinicId: string, requestId: string): Promise<"current" | "next" | null> {
  const row = await db
    .selectFrom("saml_requests")
    .select("test_certificates")
    .where("id", "=", requestId)
    .where("clinic_id", "=", clinicId)
    .executeTakeFirst();
  return row?.test_certificates ?? null;
}
