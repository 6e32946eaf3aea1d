import { recordAuditEvent } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import { isUniqueViolation } from "../../db/errors.js";
import type { Db } from "../../db/open.js";
import { newReference, nowIso } from "../../ids.js";
import { nameForNewMember, resolveSamlMember, type ResolveMemberError } from "../../provisioning/resolve-member.js";
import { createSession, type SessionPolicy } from "../../sessions/session.js";
import { checkEmailAddress } from "../../users/identity-text.js";
import { recordSignIn } from "../../users/user.queries.js";
import { browserBindingMatches } from "./browser-binding.js";
import type { SamlConnection } from "./connection.js";
import { recordSamlSuccess } from "./connection.queries.js";
import { PRESETS } from "./presets.js";
import type { ServiceProviderUrls } from "./service-provider.js";
import { quoteValue } from "./failure.js";
import { recordSsoEvent, type SsoEventPolicy } from "./sso-events.js";
import { verifySamlResponse, type SamlFailureCode, type VerifiedAssertion } from "./verify-response.js";

// Entra and others drift by seconds to a minute; three minutes is the most we forgive.
export const CLOCK_SKEW_MS = 3 * 60_000;

export type SsoFailureCode =
  | SamlFailureCode
  | "sso_not_enabled"
  | "unknown_request"
  | "request_for_other_clinic"
  | "request_already_used"
  | "request_expired"
  | "request_from_other_browser"
  | "unsolicited_not_allowed"
  | "assertion_replayed"
  | ResolveMemberError;

export interface SsoFailure {
  code: SsoFailureCode;
  reason: string;
  reference: string;
}

export interface SsoSignIn {
  token: string;
  email: string;
  /** The page they asked for when they started here; null for an IdP-initiated sign-in (RelayState decides). */
  returnTo: string | null;
  provisioned: boolean;
}

export interface AcsInput {
  clinic: Clinic;
  connection: SamlConnection | null;
  sp: ServiceProviderUrls;
  samlResponse: string;
  /** The binding value from the posting browser's cookie, null when it sent none. */
  browserBinding: string | null;
  ip: string;
}

type Step<T> = { ok: true; value: T } | { ok: false; code: SsoFailureCode; reason: string };

/**
 * The ACS use case for one clinic: verifies the response against this clinic's connection only, answers each
 * AuthnRequest once, refuses replays, finds (or provisions) the member and opens a SAML session. Every attempt
 * lands in the clinic's SSO event log with a reference the person on the error page can quote.
 */
export async function consumeSamlResponse(
  db: Db,
  input: AcsInput & { events: SsoEventPolicy },
  policy: SessionPolicy,
  now: Date,
): Promise<{ ok: true; value: SsoSignIn } | { ok: false; error: SsoFailure }> {
  const reference = newReference();
  const outcome = await signIn(db, input, policy, now);
  const email = outcome.ok ? outcome.value.email : outcome.email;
  await recordSsoEvent(
    db,
    input.clinic.id,
    {
      at: nowIso(now),
      outcome: outcome.ok ? "success" : "failure",
      code: outcome.ok ? (outcome.value.provisioned ? "signed_in_new_member" : "signed_in") : outcome.code,
      reason: outcome.ok ? `${email} signed in` : outcome.reason,
      email,
      reference,
      ip: input.ip,
      signatureVerified: outcome.ok || outcome.signatureVerified,
    },
    input.events,
    now,
  );
  if (!outcome.ok) return { ok: false, error: { code: outcome.code, reason: outcome.reason, reference } };
  return outcome;
}

type Refused = { ok: false; code: SsoFailureCode; reason: string; email: string | null; signatureVerified: boolean };

async function signIn(db: Db, input: AcsInput, policy: SessionPolicy, now: Date): Promise<{ ok: true; value: SsoSignIn } | Refused> {
  const { clinic, connection } = input;
  if (!connection || !connection.enabled) {
    // Decided before reading the post: whoever sent it, nothing vouches for it.
    const reason = `Single sign-on is not enabled for ${clinic.subdomain}`;
    return { ok: false, code: "sso_not_enabled", reason, email: null, signatureVerified: false };
  }
  const verified = await verifySamlResponse({
    samlResponse: input.samlResponse,
    // The clinic comes from the host the response was posted to; the message's Issuer is only checked against it.
    trust: { idpEntityId: connection.idpEntityId, certificates: connection.certificates.map((c) => c.pem) },
    sp: { entityId: input.sp.entityId, acsUrl: input.sp.acsUrl },
    attributeNames: PRESETS[connection.preset].attributeNames,
    now,
    clockSkewMs: CLOCK_SKEW_MS,
  });
  if (!verified.ok) return { ok: false, ...verified.error, email: null };
  const assertion = verified.value;
  const fail = (code: SsoFailureCode, reason: string, email: string | null = assertion.email): Refused => ({
    ok: false,
    code,
    reason,
    email,
    signatureVerified: true,
  });

  const request = await answerRequest(db, clinic, connection, assertion.inResponseTo, input.browserBinding, now);
  if (!request.ok) return fail(request.code, request.reason);
  const fresh = await rememberAssertion(db, clinic, assertion, now);
  if (!fresh.ok) return fail(fresh.code, fresh.reason);

  const member = await resolveSamlMember(db, clinic, assertion, { jitProvisioning: connection.jitProvisioning, ip: input.ip });
  // An address the rule refuses is not stored as the event's email: the reason shows it with its invisible characters spelled out.
  if (!member.ok)
    return fail(member.error, memberReason(member.error, assertion, clinic), member.error === "email_not_accepted" ? null : undefined);

  const { user, created } = member.value;
  const token = await createSession(db, { userId: user.id, clinicId: clinic.id, authMethod: "saml" }, policy, now);
  await recordSignIn(db, user.id, "saml", nowIso(now));
  await recordSamlSuccess(db, connection, nowIso(now));
  await recordAuditEvent(
    db,
    {
      actor: user.id,
      clinicId: clinic.id,
      action: "sign_in.saml",
      target: user.email,
      ip: input.ip,
      outcome: "success",
      detail: { idpInitiated: assertion.inResponseTo === null },
    },
    now,
  );
  return { ok: true, value: { token, email: user.email, returnTo: request.value, provisioned: created } };
}

/** Marks our AuthnRequest answered (once), or accepts an unsolicited response if the clinic allows it. */
async function answerRequest(
  db: Db,
  clinic: Clinic,
  connection: SamlConnection,
  inResponseTo: string | null,
  browserBinding: string | null,
  now: Date,
): Promise<Step<string | null>> {
  if (inResponseTo === null) {
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
  const consumed = await db
    .updateTable("saml_requests")
    .set({ consumed_at: nowIso(now) })
    .where("id", "=", inResponseTo)
    .where("consumed_at", "is", null)
    .executeTakeFirst();
  // Zero rows: another response (or another app instance) answered this request first.
  if (Number(consumed.numUpdatedRows) !== 1)
    return { ok: false, code: "request_already_used", reason: "The sign-in request was already answered once" };
  return { ok: true, value: row.return_to };
}

/** The replay cache, in the shared database: an assertion ID is accepted once per clinic while it could be valid. */
async function rememberAssertion(db: Db, clinic: Clinic, assertion: VerifiedAssertion, now: Date): Promise<Step<null>> {
  await db.deleteFrom("saml_assertions_seen").where("expires_at", "<", nowIso(now)).execute();
  try {
    await db
      .insertInto("saml_assertions_seen")
      .values({ clinic_id: clinic.id, assertion_id: assertion.assertionId, expires_at: nowIso(assertion.notOnOrAfter) })
      .execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return {
      ok: false,
      code: "assertion_replayed",
      reason: `Assertion ${JSON.stringify(assertion.assertionId.slice(0, 80))} was already used to sign in (replay)`,
    };
  }
  return { ok: true, value: null };
}

function memberReason(error: ResolveMemberError, assertion: VerifiedAssertion, clinic: Clinic): string {
  const email = assertion.email;
  switch (error) {
    case "email_not_accepted":
      return `The IdP's email address ${quoteValue(email)} was refused: it ${refusal(checkEmailAddress(email))}`;
    case "name_not_accepted": {
      const name = [assertion.firstName, assertion.lastName].filter((part) => part !== null).join(" ");
      return `${email} could not be provisioned: the name from the IdP's attributes, ${quoteValue(name)}, ${refusal(nameForNewMember(assertion, email))}`;
    }
    case "not_provisioned":
      return `${email} has no account in ${clinic.subdomain} and just-in-time provisioning is off`;
    case "member_of_other_clinic":
      return `${email} belongs to another clinic; accounts are never moved between clinics`;
    case "member_deactivated":
      return `${email} was removed from ${clinic.subdomain} in Manage Users; an admin can restore them`;
    case "member_not_active":
      return `${email} has been invited but has not accepted yet`;
    case "seat_limit_reached":
      return `${email} could not be provisioned: all ${clinic.seats} seats of ${clinic.subdomain} are in use`;
  }
}

function refusal(checked: { ok: true } | { ok: false; error: string }): string {
  return checked.ok ? "was refused" : checked.error;
}
