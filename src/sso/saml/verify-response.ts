import type { Document, Element } from "@xmldom/xmldom";
import {
  checkAudience,
  checkBearerConfirmation,
  checkConditionsTime,
  checkDestination,
  checkInResponseTo,
  checkIssuers,
  type Clock,
} from "./assertion-rules.js";
import { checkNoCommentInValues, readIdentity, type AttributeNames } from "./assertion-identity.js";
import { checkAsNodeSamlReadsIt } from "./node-saml-rules.js";
import { indexDocument, verifyEnvelopedSignature } from "./enveloped-signature.js";
import { samlFailure, type SamlFailure, type SamlResult } from "./failure.js";
import { decodeAndGuardSamlResponse } from "./pre-parse-guard.js";
import { checkResponseStructure, type PostedResponse } from "./response-structure.js";
import { XMLDSIG_NS, attributeOrNull, childElements, parseXmlDocument } from "./saml-xml.js";

export type { AttributeNames } from "./assertion-identity.js";
export type { SamlFailure, SamlFailureCode } from "./failure.js";

export interface SamlTrust {
  idpEntityId: string;
  /** PEM, one or two (two during a certificate rollover). */
  certificates: string[];
}

export interface ServiceProvider {
  entityId: string;
  acsUrl: string;
}

export interface VerifiedAssertion {
  assertionId: string;
  /** From the signed SubjectConfirmationData; the caller checks it against its shared request store. */
  inResponseTo: string | null;
  issuer: string;
  nameId: string;
  nameIdFormat: string | null;
  /** Lower-cased; NameID when it is an address, else the first present of attributeNames.email. */
  email: string;
  firstName: string | null;
  lastName: string | null;
  /** The latest time this assertion could still be accepted: keep its ID in the replay cache until then. */
  notOnOrAfter: Date;
}

export interface VerifySamlResponseInput {
  /** The base64 SAMLResponse form field as posted. */
  samlResponse: string;
  trust: SamlTrust;
  sp: ServiceProvider;
  attributeNames: AttributeNames;
  now: Date;
  clockSkewMs: number;
}

// Skew beyond this is a configuration bug, not a tolerance: it would keep expired assertions alive.
const MAX_CLOCK_SKEW_MS = 10 * 60 * 1000;

/**
 * Verifies a posted SAMLResponse for one clinic's connection: pre-parse guard, one parse, document shape,
 * the one enveloped signature covering the Response or the Assertion (enveloped-signature.ts), then every
 * rule, read from that signed element. Pure: no database, no network, the clock is `now`.
 */
export async function verifySamlResponse(
  input: VerifySamlResponseInput,
): Promise<{ ok: true; value: VerifiedAssertion } | { ok: false; error: VerificationFailure }> {
  assertUsableSettings(input);
  const guarded = decodeAndGuardSamlResponse(input.samlResponse);
  if (!guarded.ok) return beforeSignature(guarded);
  const doc = parseXmlDocument(guarded.value);
  if (doc === null) return beforeSignature(samlFailure("malformed_response", "SAMLResponse is not well-formed XML"));
  const refused = (failure: { ok: false; error: VerificationFailure }) => withPostedInResponseTo(failure, doc);
  const posted = checkResponseStructure(doc);
  if (!posted.ok) return refused(beforeSignature(posted));
  const signature = checkSignatureCoversAssertion(doc, posted.value, input.trust.certificates);
  if (!signature.ok) return refused(beforeSignature(signature));
  const checked = checkSignedAssertion(posted.value, posted.value.assertion, input);
  if (!checked.ok) return refused(afterSignature(checked));
  const clock = { nowMs: input.now.getTime(), clockSkewMs: input.clockSkewMs };
  const asNodeSaml = checkAsNodeSamlReadsIt(posted.value.assertion, input.sp.entityId, clock);
  if (!asNodeSaml.ok) return refused(afterSignature(asNodeSaml));
  return checked;
}

/**
 * A refused message's InResponseTo as posted (unverified, at most 200 characters), so the caller can tell the
 * answer to a test sign-in, which trusts other certificates, from a refused sign-in without reading the XML again.
 */
function withPostedInResponseTo(
  failure: { ok: false; error: VerificationFailure },
  doc: Document,
): { ok: false; error: VerificationFailure } {
  const root = doc.documentElement;
  const posted = root === null ? null : attributeOrNull(root, "InResponseTo");
  return posted !== null && posted.length <= 200 ? { ok: false, error: { ...failure.error, postedInResponseTo: posted } } : failure;
}

/**
 * The Response's signature when it has one (Okta, Auth0), else the Assertion's (Entra, Google). A
 * signature that is present must verify: a broken Response signature is not passed over for the
 * Assertion's. The structure checks have already made the assertion the only one in the document.
 */
function checkSignatureCoversAssertion(doc: Document, posted: PostedResponse, certificates: readonly string[]): SamlResult<null> {
  const index = indexDocument(doc);
  for (const signed of [posted.response, posted.assertion]) {
    const signatures = childElements(signed, XMLDSIG_NS, "Signature");
    if (signatures.length > 1) {
      return samlFailure("invalid_signature", `The ${signed.localName} carries ${signatures.length} signatures; exactly one is allowed`);
    }
    const [signature] = signatures;
    if (signature !== undefined) return verifyEnvelopedSignature(signature, signed, certificates, index);
  }
  return samlFailure("invalid_signature", "No valid signature by the connection's certificates covers the assertion");
}

/** A refusal, and whether a trusted signature covered the message it was decided on. */
export interface VerificationFailure extends SamlFailure {
  /** False: anyone could have sent this message, so nothing in it may be shown as the IdP's words. */
  signatureVerified: boolean;
  /** The Response's InResponseTo as posted, when the XML could be read: unverified, a hint for routing only. */
  postedInResponseTo?: string;
}

export function beforeSignature(failure: { ok: false; error: SamlFailure }): { ok: false; error: VerificationFailure } {
  return { ok: false, error: { ...failure.error, signatureVerified: false } };
}

export function afterSignature(failure: { ok: false; error: SamlFailure }): { ok: false; error: VerificationFailure } {
  return { ok: false, error: { ...failure.error, signatureVerified: true } };
}

/**
 * Our rules on the assertion. Values come from `signed` (the element the valid signature covers);
 * `posted` supplies Response-level attributes and the comment check.
 */
export function checkSignedAssertion(
  posted: PostedResponse,
  signed: Element,
  input: VerifySamlResponseInput,
): SamlResult<VerifiedAssertion> {
  const clock: Clock = { nowMs: input.now.getTime(), clockSkewMs: input.clockSkewMs };
  const issuer = checkIssuers(posted.response, signed, input.trust.idpEntityId);
  if (!issuer.ok) return issuer;
  const destination = checkDestination(posted.response, input.sp.acsUrl);
  if (!destination.ok) return destination;
  const audience = checkAudience(signed, input.sp.entityId);
  if (!audience.ok) return audience;
  const conditions = checkConditionsTime(signed, clock);
  if (!conditions.ok) return conditions;
  const bearer = checkBearerConfirmation(signed, input.sp.acsUrl, clock);
  if (!bearer.ok) return bearer;
  const inResponseTo = checkInResponseTo(posted.response, bearer.value.inResponseTo);
  if (!inResponseTo.ok) return inResponseTo;
  const comments = checkNoCommentInValues(posted.response);
  if (!comments.ok) return comments;
  const identity = readIdentity(signed, input.attributeNames);
  if (!identity.ok) return identity;
  const assertionId = signed.getAttribute("ID");
  if (!assertionId) return samlFailure("malformed_response", "The assertion has no ID");
  // Until the earliest NotOnOrAfter, plus the skew we grant, the assertion could still be accepted.
  const lastAcceptedMs = Math.min(conditions.value ?? Infinity, bearer.value.notOnOrAfterMs) + input.clockSkewMs;
  return {
    ok: true,
    value: {
      assertionId,
      inResponseTo: inResponseTo.value,
      issuer: issuer.value,
      ...identity.value,
      notOnOrAfter: new Date(lastAcceptedMs),
    },
  };
}

// Wrong settings are bugs in the caller, not failures of the message: throw.
export function assertUsableSettings(input: VerifySamlResponseInput): void {
  const { clockSkewMs, now, trust } = input;
  if (!Number.isFinite(clockSkewMs) || clockSkewMs < 0 || clockSkewMs > MAX_CLOCK_SKEW_MS) {
    // node-saml treats -1 as "skip every time check": never let a negative value through.
    throw new RangeError(`clockSkewMs must be between 0 and ${MAX_CLOCK_SKEW_MS}, got ${clockSkewMs}`);
  }
  if (Number.isNaN(now.getTime())) throw new RangeError("now is not a valid Date");
  if (trust.certificates.length === 0) throw new RangeError("the connection has no IdP certificate to trust");
}
