import { prepareAuditEvent } from "../audit/audit.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { writeTogether } from "../db/write-together.js";
import { newReference, nowIso } from "../ids.js";
import type { Notifier } from "../notifications/notifier.js";
import { ok, type Result } from "../result.js";
import { nameForNewMember, previewSamlMember, resolveSamlMember } from "../provisioning/resolve-member.js";
import { prepareSession, prepareSessionEnd, type SessionPolicy } from "../sessions/session.js";
import { addMemberRefusalOf } from "../users/add-member.js";
import { checkEmailAddress } from "../users/identity-text.js";
import { prepareSignInRecord } from "../users/user.queries.js";
import type { SamlConnection } from "../sso/saml/connection.js";
import { findSamlConnection, prepareSamlSuccessMark } from "../sso/saml/connection.queries.js";
import { checkAssertionUnseen, rememberAssertion } from "../sso/saml/replay-cache.js";
import { answerSamlRequest, checkSamlRequest, findTestRequestCertificates, looksLikeTestRequestId } from "../sso/saml/request-store.js";
import type { ServiceProviderUrls } from "../sso/saml/service-provider.js";
import { quoteValue, type SamlFailureDetails } from "../sso/saml/failure.js";
import { diagnoseFailure } from "./diagnose-failure.js";
import { testRequestAnsweredBy, type TestCertificates } from "./test-sign-in.js";
import { prepareVerifiedSsoEvent, recordSsoEvent } from "../sso/saml/sso-events.js";
import type { ResponseVerifier } from "../sso/saml/response-verifier.js";
import { verifyResponseForConnection } from "../sso/saml/verify-for-connection.js";
import type { VerifiedAssertion } from "../sso/saml/verify-response.js";

import type { MembershipFailureCode, SsoFailureCode } from "./sso-failure-codes.js";

export type { MembershipFailureCode, ProtocolFailureCode, SsoFailureCode } from "./sso-failure-codes.js";

export interface SsoFailure {
  code: SsoFailureCode;
  reason: string;
  reference: string;
  /** The person's address, only when the IdP's signature vouched for it (their admin may get a link to the diagnosis). */
  vouchedEmail: string | null;
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
  /** The binding value from the posting browser's cookie, null when it sent none. */
  browserBinding: string | null;
  ip: string;
  previousSessionToken: string | null;
}

/**
 * Who verifies responses, how long sessions last, how long the clinic's SSO event log is kept, and who tells the
 * admins of a full clinic.
 */
export interface SamlSignInPolicy {
  verifier: ResponseVerifier;
  session: SessionPolicy;
  notifier: Notifier;
}

type Refused = {
  ok: false;
  code: SsoFailureCode;
  reason: string;
  email: string | null;
  signatureVerified: boolean;
  /** The values a rule compared, for the diagnosis's fix. */
  details?: SamlFailureDetails | undefined;
};
/** The post answers a test sign-in of this clinic: nothing was written; finishTestSignIn takes it from here. */
type AnswersTest = { ok: false; answersTest: TestCertificates };
type Outcome = { ok: true; value: SsoSignIn } | Refused | AnswersTest;

export type SamlSignInResult = { ok: true; value: SsoSignIn } | { ok: false; error: SsoFailure } | AnswersTest;

/**
 * The ACS use case for one clinic: verifies the response against this clinic's connection only (`saved`, as the
 * host hook found it with the clinic), answers each AuthnRequest once, refuses replays, finds (or provisions) the
 * member and opens a SAML session, ending the browser's previous one. The answer, the member, the session and every
 * record of the success are written in one transaction. Every attempt lands in the clinic's SSO event log with a
 * reference the person can quote.
 */
export async function signInWithSaml(
  db: Db,
  clinic: Clinic,
  saved: SamlConnection | null,
  posted: PostedSamlResponse,
  policy: SamlSignInPolicy,
  now: Date,
): Promise<SamlSignInResult> {
  const reference = newReference();
  const outcome = await signIn(db, clinic, saved, posted, policy, now, reference);
  if (outcome.ok || "answersTest" in outcome) return outcome;
  // The log carries the fix the diagnosis gives, in the IdP's own terms, beside the reason.
  const preset = saved?.preset ?? "generic";
  const { fix } = diagnoseFailure(outcome.code, outcome.reason, { preset, trusted: [], details: outcome.details });
  await recordSsoEvent(
    db,
    clinic.id,
    {
      at: nowIso(now),
      outcome: "failure",
      code: outcome.code,
      reason: outcome.reason,
      email: outcome.email,
      reference,
      ip: posted.ip,
      signatureVerified: outcome.signatureVerified,
      fix,
    },
    now,
  );
  // A newcomer the IdP vouched for was turned away for lack of a seat: the admins can free one or buy more.
  if (outcome.code === "seat_limit_reached" && outcome.email !== null) {
    await policy.notifier.notify(db, clinic, { kind: "seats_exhausted", seats: clinic.seats, email: outcome.email }, now);
  }
  const vouchedEmail = outcome.signatureVerified ? outcome.email : null;
  return { ok: false, error: { code: outcome.code, reason: outcome.reason, reference, vouchedEmail } };
}

async function signIn(
  db: Db,
  clinic: Clinic,
  saved: SamlConnection | null,
  posted: PostedSamlResponse,
  policy: SamlSignInPolicy,
  now: Date,
  reference: string,
): Promise<Outcome> {
  // A test runs before SSO is on: with the connection off, only a test's answer goes on, read from the posted XML.
  if (!saved?.enabled) {
    const test = await testRequestAnsweredBy(db, clinic, posted.samlResponse, policy.verifier);
    if (test) return { ok: false, answersTest: test };
  }
  const verified = await verifyResponseForConnection(policy.verifier, clinic, saved, posted.sp, posted.samlResponse, now);
  // A test's answer is checked again with the certificates its test trusts: so far only its InResponseTo counts.
  const test = await testAnsweredBy(db, clinic, verified.ok ? verified.value.assertion.inResponseTo : verified.error.postedInResponseTo);
  if (test) return { ok: false, answersTest: test };
  // Refused before a trusted signature vouched for the message: nothing in it may be shown as the IdP's words.
  if (!verified.ok) return { ok: false, ...verified.error, email: null, signatureVerified: false };
  const { connection, assertion } = verified.value;
  const complete = () =>
    db.transaction().execute((trx) => answerAndSignIn(trx, clinic, { connection, assertion }, posted, policy, now, reference));
  // Two first sign-ins of one person at once: the loser of the unique index starts again and finds the winner's account.
  return complete().catch((error: unknown) => (addMemberRefusalOf(error) === "email_taken" ? complete() : Promise.reject(error)));
}

/**
 * One transaction: the request answered, the assertion remembered, then the member (found or provisioned), the
 * session and every record of the success. A refusal after the answer still commits the answer and the
 * assertion (neither can be used again); an error leaves none of it.
 */
async function answerAndSignIn(
  trx: Db,
  clinic: Clinic,
  { connection, assertion }: { connection: SamlConnection; assertion: VerifiedAssertion },
  posted: PostedSamlResponse,
  policy: SamlSignInPolicy,
  now: Date,
  reference: string,
): Promise<Outcome> {
  const fail = refusedAfterVerification(assertion);
  const request = await answerSamlRequest(
    trx,
    clinic,
    { connection, inResponseTo: assertion.inResponseTo, browserBinding: posted.browserBinding },
    now,
  );
  if (!request.ok) return fail(request.code, request.reason);
  const fresh = await rememberAssertion(trx, clinic, assertion, now);
  if (!fresh.ok) return fail(fresh.code, fresh.reason);
  const member = await completeSignIn(trx, clinic, connection, assertion, posted, policy, now, reference);
  if (!member.ok) return failForMember(fail, member.error, assertion, clinic);
  return ok({ ...member.value, returnTo: request.value });
}

/** The test a request ID belongs to; no look-up unless it has the form of a test request's ID. */
async function testAnsweredBy(db: Db, clinic: Clinic, requestId: string | null | undefined): Promise<TestCertificates | null> {
  if (requestId === null || requestId === undefined || !looksLikeTestRequestId(requestId)) return null;
  return findTestRequestCertificates(db, clinic.id, requestId);
}

/** Provisioning, the session and every record of the success, in the caller's transaction. */
async function completeSignIn(
  trx: Db,
  clinic: Clinic,
  connection: SamlConnection,
  assertion: VerifiedAssertion,
  posted: PostedSamlResponse,
  policy: SamlSignInPolicy,
  now: Date,
  reference: string,
): Promise<Result<Omit<SsoSignIn, "returnTo">, MembershipFailureCode>> {
  const member = await resolveSamlMember(trx, clinic, assertion, { jitProvisioning: connection.jitProvisioning, ip: posted.ip }, now);
  if (!member.ok) return member;
  const { user, created } = member.value;
  const session = prepareSession(trx, { userId: user.id, clinicId: clinic.id, authMethod: "saml" }, policy.session, now);
  // The records of a success go to the database together: one statement on PostgreSQL (they touch separate rows).
  await writeTogether(trx, [
    // Session fixation: whatever session the browser had before ends; the new token replaces it.
    posted.previousSessionToken ? prepareSessionEnd(trx, posted.previousSessionToken) : null,
    session.write,
    prepareSignInRecord(trx, user.id, "saml", nowIso(now)),
    prepareSamlSuccessMark(trx, connection, nowIso(now)),
    prepareAuditEvent(
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
    ),
    prepareVerifiedSsoEvent(trx, clinic.id, {
      at: nowIso(now),
      outcome: "success",
      code: created ? "signed_in_new_member" : "signed_in",
      reason: `${user.email} signed in`,
      email: user.email,
      reference,
      ip: posted.ip,
      signatureVerified: true,
    }),
  ]);
  return ok({ token: session.token, email: user.email, provisioned: created });
}

/** What testSamlSignIn found: the identity the IdP vouched for and what a real sign-in would do with it. */
export type SamlSignInTest =
  | {
      ok: true;
      identity: Pick<VerifiedAssertion, "email" | "firstName" | "lastName" | "nameId" | "nameIdFormat" | "issuer">;
      /** "existing": the member below would be signed in; "provision": a new provider account would be created. */
      member: { kind: "existing"; email: string; name: string; role: string } | { kind: "provision"; email: string };
    }
  | Refused;

/**
 * Runs every check of signInWithSaml on a posted response and reports, without answering the request,
 * remembering the assertion, creating a member or a session, taking a seat or marking the connection.
 */
export async function testSamlSignIn(
  db: Db,
  clinic: Clinic,
  posted: Pick<PostedSamlResponse, "samlResponse" | "sp" | "browserBinding">,
  verifier: ResponseVerifier,
  now: Date,
): Promise<SamlSignInTest> {
  const saved = await findSamlConnection(db, clinic.id);
  const verified = await verifyResponseForConnection(verifier, clinic, saved, posted.sp, posted.samlResponse, now);
  if (!verified.ok) return { ok: false, ...verified.error, email: null, signatureVerified: false };
  const { connection, assertion } = verified.value;
  const fail = refusedAfterVerification(assertion);
  const request = await checkSamlRequest(
    db,
    clinic,
    { connection, inResponseTo: assertion.inResponseTo, browserBinding: posted.browserBinding },
    now,
  );
  if (!request.ok) return fail(request.code, request.reason);
  const fresh = await checkAssertionUnseen(db, clinic, assertion, now);
  if (!fresh.ok) return fail(fresh.code, fresh.reason);
  const preview = await previewSamlMember(db, clinic, assertion, { jitProvisioning: connection.jitProvisioning });
  if (!preview.ok) return failForMember(fail, preview.error, assertion, clinic);
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

function refusedAfterVerification(assertion: VerifiedAssertion) {
  return (code: SsoFailureCode, reason: string, email: string | null = assertion.email): Refused => ({
    ok: false,
    code,
    reason,
    email,
    signatureVerified: true,
  });
}

/** A membership refusal; an address the rule refuses is not stored as the event's email (the reason spells it out). */
function failForMember(
  fail: ReturnType<typeof refusedAfterVerification>,
  error: MembershipFailureCode,
  assertion: VerifiedAssertion,
  clinic: Clinic,
): Refused {
  return fail(error, memberReason(error, assertion, clinic), error === "email_not_accepted" ? null : undefined);
}

function memberReason(error: MembershipFailureCode, assertion: VerifiedAssertion, clinic: Clinic): string {
  const email = assertion.email;
  switch (error) {
    case "email_not_accepted":
      return `The IdP's email address ${quoteValue(email)} was refused: it ${refusal(checkEmailAddress(email))}`;
    case "email_domain_not_allowed":
      return `${email} is outside ${clinic.subdomain}'s email domains (Settings → Single sign-on → Email domains): refused, and never provisioned`;
    case "email_domain_of_other_clinic":
      return `${email} is in a domain another clinic has locked: refused, and never provisioned`;
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
