import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { newReference, nowIso } from "../ids.js";
import { previewSamlMember } from "../provisioning/resolve-member.js";
import type { SamlConnection } from "../sso/saml/connection.js";
import { findSamlConnection, recordPassingTest } from "../sso/saml/connection.queries.js";
import { checkAssertionUnseen } from "../sso/saml/replay-cache.js";
import { answerSamlRequest, findTestRequestCertificates, looksLikeTestRequestId } from "../sso/saml/request-store.js";
import { readResponseFacts, type ResponseFacts } from "../sso/saml/response-facts.js";
import type { ServiceProviderUrls } from "../sso/saml/service-provider.js";
import { recordSsoEvent } from "../sso/saml/sso-events.js";
import type { ResponseVerifier } from "../sso/saml/response-verifier.js";
import { verifyResponseForConnection } from "../sso/saml/verify-for-connection.js";
import type { SamlFailureDetails } from "../sso/saml/failure.js";
import { diagnoseFailure, type Diagnosis } from "./diagnose-failure.js";
import { explainSsoFailure } from "./failure-messages.js";
import type { SsoFailureCode } from "./sso-failure-codes.js";

// A real response is 4–30 KiB of base64; a paste longer than this is not one response.
export const MAX_PASTED_RESPONSE_CHARS = 200_000;

/** Which certificates a test trusts: the connection's (as a real sign-in would), or only the staged next one (rehearsal). */
export type TestCertificates = "current" | "next";

export type SamlTestReport =
  | {
      ok: true;
      reference: string;
      certificates: TestCertificates;
      identity: { email: string; nameId: string; nameIdFormat: string | null; issuer: string };
      /** Names and values the IdP sent; never the signature or the XML. */
      attributes: ResponseFacts["attributes"];
      /** What a real sign-in would do with this person; a refusal here is about the person, not the connection. */
      member: { kind: "existing"; name: string; role: string } | { kind: "provision" } | { kind: "refused"; diagnosis: Diagnosis };
    }
  | { ok: false; reference: string; certificates: TestCertificates; diagnosis: Diagnosis };

type Checked =
  | {
      ok: true;
      connection: SamlConnection;
      identity: Extract<SamlTestReport, { ok: true }>["identity"];
      member: Extract<SamlTestReport, { ok: true }>["member"];
      facts: ResponseFacts | null;
    }
  | {
      ok: false;
      code: SsoFailureCode;
      reason: string;
      details?: SamlFailureDetails | undefined;
      signatureVerified: boolean;
      email: string | null;
    };

/** Whether this posted response answers a test sign-in of this clinic, and which certificates that test trusts. */
export async function testRequestAnsweredBy(
  db: Db,
  clinic: Clinic,
  samlResponse: string,
  verifier: ResponseVerifier,
): Promise<TestCertificates | null> {
  // Read in the verifier's thread: the posted XML is anyone's, and the main thread only does HTTP and the database.
  const requestId = await verifier.readPostedInResponseTo(samlResponse);
  return requestId !== null && looksLikeTestRequestId(requestId) ? findTestRequestCertificates(db, clinic.id, requestId) : null;
}

/**
 * The ACS for a test sign-in: every check of a real sign-in against the connection as saved (enabled or not), with
 * the trusted certificates the test asked for, then a report. The test request is answered once; nothing else is
 * written but the event and, for a pass with the connection's own certificates, the settings it proved.
 */
export async function finishTestSignIn(
  db: Db,
  clinic: Clinic,
  posted: { samlResponse: string; sp: ServiceProviderUrls; browserBinding: string | null; ip: string },
  certificates: TestCertificates,
  verifier: ResponseVerifier,
  now: Date,
): Promise<SamlTestReport> {
  const reference = newReference();
  const checked = await runChecks(db, clinic, posted, certificates, "test", verifier, now);
  const connection = await findSamlConnection(db, clinic.id);
  if (checked.ok && certificates === "current") await recordPassingTest(db, checked.connection);
  const report = toReport(checked, connection, posted.samlResponse, certificates, reference, false);
  const rehearsal = certificates === "next" ? "Rollover rehearsal" : "Test sign-in";
  await recordSsoEvent(
    db,
    clinic.id,
    checked.ok
      ? {
          at: nowIso(now),
          outcome: "success",
          code: "test_sign_in_passed",
          reason: `${rehearsal} as ${checked.identity.email} passed; nobody was signed in`,
          email: checked.identity.email,
          reference,
          ip: posted.ip,
          signatureVerified: true,
        }
      : {
          at: nowIso(now),
          outcome: "failure",
          code: checked.code,
          reason: `${rehearsal}: ${checked.reason}`,
          email: checked.email,
          reference,
          ip: posted.ip,
          signatureVerified: checked.signatureVerified,
          fix: report.ok ? null : report.diagnosis.fix,
        },
    now,
  );
  return report;
}

/**
 * The same diagnosis for a response pasted from a SAML tracer. The request it answered was made in another browser,
 * so the request, browser-binding and replay checks cannot apply; nothing is stored or logged, not even an event.
 */
export async function diagnosePastedResponse(
  db: Db,
  clinic: Clinic,
  samlResponse: string,
  sp: ServiceProviderUrls,
  verifier: ResponseVerifier,
  now: Date,
): Promise<SamlTestReport> {
  const checked = await runChecks(db, clinic, { samlResponse, sp, browserBinding: null }, "current", "pasted", verifier, now);
  return toReport(checked, await findSamlConnection(db, clinic.id), samlResponse, "current", newReference(), true);
}

async function runChecks(
  db: Db,
  clinic: Clinic,
  posted: { samlResponse: string; sp: ServiceProviderUrls; browserBinding: string | null },
  certificates: TestCertificates,
  mode: "test" | "pasted",
  verifier: ResponseVerifier,
  now: Date,
): Promise<Checked> {
  const saved = await findSamlConnection(db, clinic.id);
  const refused = (code: SsoFailureCode, reason: string): Checked => ({ ok: false, code, reason, signatureVerified: false, email: null });
  if (!saved) return refused("sso_not_enabled", `Single sign-on is not set up for ${clinic.subdomain}`);
  const trusted = certificates === "next" ? saved.certificates.slice(1) : saved.certificates;
  if (trusted.length === 0) return refused("invalid_signature", "No next certificate is staged, so the rehearsal trusts nothing");
  // The test is how a connection proves itself before it is turned on: it is judged as if it were on.
  const connection = { ...saved, enabled: true, certificates: trusted };
  const verified = await verifyResponseForConnection(verifier, clinic, connection, posted.sp, posted.samlResponse, now);
  if (!verified.ok) return { ok: false, ...verified.error, signatureVerified: verified.error.signatureVerified === true, email: null };
  const { assertion } = verified.value;
  const fail = (code: SsoFailureCode, reason: string): Checked => ({
    ok: false,
    code,
    reason,
    signatureVerified: true,
    email: assertion.email,
  });
  if (mode === "test") {
    // Answered once, by the browser that started the test; a real request's answer never lands here.
    const request = await answerSamlRequest(
      db,
      clinic,
      { connection, inResponseTo: assertion.inResponseTo, browserBinding: posted.browserBinding, purpose: { test: certificates } },
      now,
    );
    if (!request.ok) return fail(request.code, request.reason);
    const fresh = await checkAssertionUnseen(db, clinic, assertion, now);
    if (!fresh.ok) return fail(fresh.code, fresh.reason);
  }
  const preview = await previewSamlMember(db, clinic, assertion, { jitProvisioning: saved.jitProvisioning });
  const member: Extract<Checked, { ok: true }>["member"] = !preview.ok
    ? {
        kind: "refused",
        diagnosis: {
          code: preview.error,
          summary: explainSsoFailure(preview.error).message,
          compared: [],
          fix: explainSsoFailure(preview.error).fix,
        },
      }
    : preview.value.member
      ? { kind: "existing", name: preview.value.member.user.name, role: preview.value.member.membership.role }
      : { kind: "provision" };
  const { email, nameId, nameIdFormat, issuer } = assertion;
  return { ok: true, connection: saved, identity: { email, nameId, nameIdFormat, issuer }, member, facts: null };
}

function toReport(
  checked: Checked,
  connection: SamlConnection | null,
  samlResponse: string,
  certificates: TestCertificates,
  reference: string,
  pasted: boolean,
): SamlTestReport {
  // Only a response whose signature verified may have its contents shown: otherwise they are anyone's words.
  const facts = !checked.ok && !checked.signatureVerified ? signerOnly(samlResponse) : readResponseFacts(samlResponse);
  if (checked.ok) {
    return { ok: true, reference, certificates, identity: checked.identity, attributes: facts?.attributes ?? [], member: checked.member };
  }
  const all = connection?.certificates ?? [];
  const slots = all.map((c, i) => ({ slot: i === 0 ? "current" : "next", fingerprintSha256: c.fingerprintSha256 }));
  const trusted = certificates === "next" ? slots.slice(1) : slots;
  const diagnosis = diagnoseFailure(checked.code, checked.reason, {
    preset: connection?.preset ?? "generic",
    trusted,
    facts,
    details: checked.details,
    pasted,
  });
  return { ok: false, reference, certificates, diagnosis };
}

// Before a signature verified, only the certificate the message names is read, to compare its fingerprint with ours.
function signerOnly(samlResponse: string): ResponseFacts | null {
  const facts = readResponseFacts(samlResponse);
  return facts && { attributes: [], nameId: null, nameIdFormat: null, signerFingerprints: facts.signerFingerprints };
}
