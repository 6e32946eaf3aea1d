import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { newReference, nowIso } from "../ids.js";
import { resolveSamlMember, type ResolveMemberError } from "../provisioning/resolve-member.js";
import { createSession, type SessionPolicy } from "../sessions/session.js";
import { addMemberRefusalOf } from "../users/add-member.js";
import { recordSignIn } from "../users/user.queries.js";
import type { SamlConnection } from "../sso/saml/connection.js";
import { recordSamlSuccess } from "../sso/saml/connection.queries.js";
import { PRESETS } from "../sso/saml/presets.js";
import { rememberAssertion } from "../sso/saml/replay-cache.js";
import { answerSamlRequest, type RequestFailureCode } from "../sso/saml/request-store.js";
import type { ServiceProviderUrls } from "../sso/saml/service-provider.js";
import { recordSsoEvent } from "../sso/saml/sso-events.js";
import { verifySamlResponse, type SamlFailureCode } from "../sso/saml/verify-response.js";

// Entra and others drift by seconds to a minute; three minutes is the most we forgive.
export const CLOCK_SKEW_MS = 3 * 60_000;

export type SsoFailureCode = SamlFailureCode | "sso_not_enabled" | RequestFailureCode | "assertion_replayed" | ResolveMemberError;

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

/**
 * The ACS use case for one clinic: verifies the response against this clinic's connection only, answers each
 * AuthnRequest once, refuses replays, finds (or provisions) the member and opens a SAML session. Every attempt
 * lands in the clinic's SSO event log with a reference the person on the error page can quote.
 */
export async function consumeSamlResponse(
  db: Db,
  input: { clinic: Clinic; connection: SamlConnection | null; sp: ServiceProviderUrls; samlResponse: string; ip: string },
  policy: SessionPolicy,
  now: Date,
): Promise<{ ok: true; value: SsoSignIn } | { ok: false; error: SsoFailure }> {
  const reference = newReference();
  const outcome = await signIn(db, input, policy, now);
  const email = outcome.ok ? outcome.value.email : outcome.email;
  await recordSsoEvent(db, input.clinic.id, {
    at: nowIso(now),
    outcome: outcome.ok ? "success" : "failure",
    code: outcome.ok ? (outcome.value.provisioned ? "signed_in_new_member" : "signed_in") : outcome.code,
    reason: outcome.ok ? `${email} signed in` : outcome.reason,
    email,
    reference,
    ip: input.ip,
  });
  if (!outcome.ok) return { ok: false, error: { code: outcome.code, reason: outcome.reason, reference } };
  return outcome;
}

async function signIn(
  db: Db,
  input: { clinic: Clinic; connection: SamlConnection | null; sp: ServiceProviderUrls; samlResponse: string; ip: string },
  policy: SessionPolicy,
  now: Date,
): Promise<{ ok: true; value: SsoSignIn } | { ok: false; code: SsoFailureCode; reason: string; email: string | null }> {
  const { clinic, connection } = input;
  if (!connection || !connection.enabled) {
    return { ok: false, code: "sso_not_enabled", reason: `Single sign-on is not enabled for ${clinic.subdomain}`, email: null };
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
  const fail = (code: SsoFailureCode, reason: string) => ({ ok: false as const, code, reason, email: assertion.email });

  const request = await answerSamlRequest(db, clinic, connection, assertion.inResponseTo, now);
  if (!request.ok) return fail(request.code, request.reason);
  const fresh = await rememberAssertion(db, clinic, assertion, now);
  if (!fresh.ok) return fail(fresh.code, fresh.reason);

  const resolve = () =>
    db
      .transaction()
      .execute((trx) => resolveSamlMember(trx, clinic, assertion, { jitProvisioning: connection.jitProvisioning, ip: input.ip }, now));
  // Two first sign-ins of one person at once: the loser of the unique index finds the winner's account.
  const member = await resolve().catch((error: unknown) =>
    addMemberRefusalOf(error) === "email_taken" ? resolve() : Promise.reject(error),
  );
  if (!member.ok) return fail(member.error, memberReason(member.error, assertion.email, clinic));

  const { user, created } = member.value;
  const token = await createSession(db, { userId: user.id, clinicId: clinic.id, authMethod: "saml" }, policy, now);
  await recordSignIn(db, user.id, "saml", nowIso(now));
  await recordSamlSuccess(db, clinic.id, nowIso(now));
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

function memberReason(error: ResolveMemberError, email: string, clinic: Clinic): string {
  switch (error) {
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
