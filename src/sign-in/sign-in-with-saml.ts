import { recordAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { newReference, nowIso } from "../ids.js";
import { ok, type Result } from "../result.js";
import { previewSamlMember, resolveSamlMember, type ResolveMemberError } from "../provisioning/resolve-member.js";
import { createSession, deleteSession, type SessionPolicy } from "../sessions/session.js";
import { addMemberRefusalOf } from "../users/add-member.js";
import { recordSignIn } from "../users/user.queries.js";
import type { SamlConnection } from "../sso/saml/connection.js";
import { findSamlConnection, recordSamlSuccess } from "../sso/saml/connection.queries.js";
import { checkAssertionUnseen, rememberAssertion } from "../sso/saml/replay-cache.js";
import { answerSamlRequest, checkSamlRequest, type RequestFailureCode } from "../sso/saml/request-store.js";
import type { ServiceProviderUrls } from "../sso/saml/service-provider.js";
import { recordSsoEvent } from "../sso/saml/sso-events.js";
import { verifyResponseForConnection, type ResponseFailureCode } from "../sso/saml/verify-for-connection.js";
import type { VerifiedAssertion } from "../sso/saml/verify-response.js";

/** Why the SAML protocol refused, reported by sso/saml: the message itself, the request it answers, a replay. */
export type ProtocolFailureCode = ResponseFailureCode | RequestFailureCode | "assertion_replayed";

/** Why a person the IdP vouched for may not sign in to this clinic. */
export type MembershipFailureCode = ResolveMemberError;

export type SsoFailureCode = ProtocolFailureCode | MembershipFailureCode;

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

/** A SAMLResponse as posted to one clinic's ACS, with the session the browser had until now (it ends here). */
export interface PostedSamlResponse {
  samlResponse: string;
  sp: ServiceProviderUrls;
  ip: string;
  previousSessionToken: string | null;
}

type Outcome = { ok: true; value: SsoSignIn } | { ok: false; code: SsoFailureCode; reason: string; email: string | null };

/**
 * The ACS use case for one clinic: verifies the response against this clinic's connection only, answers each
 * AuthnRequest once, refuses replays, finds (or provisions) the member and opens a SAML session, ending the
 * browser's previous one. The member, the session and every record of the success are written in one
 * transaction. Every attempt lands in the clinic's SSO event log with a reference the person can quote.
 */
export async function signInWithSaml(
  db: Db,
  clinic: Clinic,
  posted: PostedSamlResponse,
  policy: SessionPolicy,
  now: Date,
): Promise<{ ok: true; value: SsoSignIn } | { ok: false; error: SsoFailure }> {
  const reference = newReference();
  const outcome = await signIn(db, clinic, posted, policy, now, reference);
  if (outcome.ok) return outcome;
  await recordSsoEvent(db, clinic.id, {
    at: nowIso(now),
    outcome: "failure",
    code: outcome.code,
    reason: outcome.reason,
    email: outcome.email,
    reference,
    ip: posted.ip,
  });
  return { ok: false, error: { code: outcome.code, reason: outcome.reason, reference } };
}

async function signIn(
  db: Db,
  clinic: Clinic,
  posted: PostedSamlResponse,
  policy: SessionPolicy,
  now: Date,
  reference: string,
): Promise<Outcome> {
  const verified = await verifyResponseForConnection(clinic, await findSamlConnection(db, clinic.id), posted.sp, posted.samlResponse, now);
  if (!verified.ok) return { ok: false, ...verified.error, email: null };
  const { connection, assertion } = verified.value;
  const fail = (code: SsoFailureCode, reason: string) => ({ ok: false as const, code, reason, email: assertion.email });

  // Answered and remembered before anything else is written, and kept even if the sign-in goes no further.
  const request = await answerSamlRequest(db, clinic, connection, assertion.inResponseTo, now);
  if (!request.ok) return fail(request.code, request.reason);
  const fresh = await rememberAssertion(db, clinic, assertion, now);
  if (!fresh.ok) return fail(fresh.code, fresh.reason);

  const complete = () => completeSignIn(db, clinic, connection, assertion, posted, policy, now, reference);
  // Two first sign-ins of one person at once: the loser of the unique index finds the winner's account.
  const member = await complete().catch((error: unknown) =>
    addMemberRefusalOf(error) === "email_taken" ? complete() : Promise.reject(error),
  );
  if (!member.ok) return fail(member.error, memberReason(member.error, assertion.email, clinic));
  return ok({ ...member.value, returnTo: request.value });
}

/** Provisioning, the session and every record of the success: one transaction, so a failure leaves none of them. */
async function completeSignIn(
  db: Db,
  clinic: Clinic,
  connection: SamlConnection,
  assertion: VerifiedAssertion,
  posted: PostedSamlResponse,
  policy: SessionPolicy,
  now: Date,
  reference: string,
): Promise<Result<Omit<SsoSignIn, "returnTo">, MembershipFailureCode>> {
  return db.transaction().execute(async (trx) => {
    const member = await resolveSamlMember(trx, clinic, assertion, { jitProvisioning: connection.jitProvisioning, ip: posted.ip }, now);
    if (!member.ok) return member;
    const { user, created } = member.value;
    // Session fixation: whatever session the browser had before ends; the new token replaces it.
    if (posted.previousSessionToken) await deleteSession(trx, posted.previousSessionToken);
    const token = await createSession(trx, { userId: user.id, clinicId: clinic.id, authMethod: "saml" }, policy, now);
    await recordSignIn(trx, user.id, "saml", nowIso(now));
    await recordSamlSuccess(trx, clinic.id, nowIso(now));
    await recordAuditEvent(
      trx,
      {
        actor: user.id,
        clinicId: clinic.id,
        action: "sign_in.saml",
        target: user.email,
        ip: posted.ip,
        outcome: "success",
        detail: { idpInitiated: assertion.inResponseTo === null },
      },
      now,
    );
    await recordSsoEvent(trx, clinic.id, {
      at: nowIso(now),
      outcome: "success",
      code: created ? "signed_in_new_member" : "signed_in",
      reason: `${user.email} signed in`,
      email: user.email,
      reference,
      ip: posted.ip,
    });
    return ok({ token, email: user.email, provisioned: created });
  });
}

/** What testSamlSignIn found: the identity the IdP vouched for and what a real sign-in would do with it. */
export type SamlSignInTest =
  | {
      ok: true;
      identity: Pick<VerifiedAssertion, "email" | "firstName" | "lastName" | "nameId" | "nameIdFormat" | "issuer">;
      /** "existing": the member below would be signed in; "provision": a new provider account would be created. */
      member: { kind: "existing"; email: string; name: string; role: string } | { kind: "provision"; email: string };
    }
  | { ok: false; code: SsoFailureCode; reason: string; email: string | null };

/**
 * Runs every check of signInWithSaml on a posted response and reports, without answering the request,
 * remembering the assertion, creating a member or a session, taking a seat or marking the connection.
 */
export async function testSamlSignIn(
  db: Db,
  clinic: Clinic,
  posted: Pick<PostedSamlResponse, "samlResponse" | "sp">,
  now: Date,
): Promise<SamlSignInTest> {
  const verified = await verifyResponseForConnection(clinic, await findSamlConnection(db, clinic.id), posted.sp, posted.samlResponse, now);
  if (!verified.ok) return { ok: false, ...verified.error, email: null };
  const { connection, assertion } = verified.value;
  const fail = (code: SsoFailureCode, reason: string) => ({ ok: false as const, code, reason, email: assertion.email });
  const request = await checkSamlRequest(db, clinic, connection, assertion.inResponseTo, now);
  if (!request.ok) return fail(request.code, request.reason);
  const fresh = await checkAssertionUnseen(db, clinic, assertion, now);
  if (!fresh.ok) return fail(fresh.code, fresh.reason);
  const preview = await previewSamlMember(db, clinic, assertion, { jitProvisioning: connection.jitProvisioning });
  if (!preview.ok) return fail(preview.error, memberReason(preview.error, assertion.email, clinic));
  const { email, firstName, lastName, nameId, nameIdFormat, issuer } = assertion;
  const found = preview.value.member;
  return {
    ok: true,
    identity: { email, firstName, lastName, nameId, nameIdFormat, issuer },
    member: found
      ? { kind: "existing", email: found.user.email, name: found.user.name, role: found.membership.role }
      : { kind: "provision", email },
  };
}

function memberReason(error: MembershipFailureCode, email: string, clinic: Clinic): string {
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
