import type { Element } from "@xmldom/xmldom";
import { quoteValue, samlFailure, type SamlResult } from "./failure.js";
import { SAML_ASSERTION_NS, attributeOrNull, childElements, firstChildElement, fullText } from "./saml-xml.js";

const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
// SAML times are UTC xs:dateTime; a value without a zone would be read in the server's local time.
const UTC_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]00:00)$/;

export interface Clock {
  nowMs: number;
  clockSkewMs: number;
}

// node-saml does not enforce the assertion's Issuer at all; the Response Issuer is optional in SAML.
export function checkIssuers(response: Element, assertion: Element, idpEntityId: string): SamlResult<string> {
  const responseIssuer = firstChildElement(response, SAML_ASSERTION_NS, "Issuer");
  if (responseIssuer && fullText(responseIssuer).trim() !== idpEntityId) {
    return wrongIssuer("Response", fullText(responseIssuer).trim(), idpEntityId);
  }
  const assertionIssuer = firstChildElement(assertion, SAML_ASSERTION_NS, "Issuer");
  const issuer = assertionIssuer ? fullText(assertionIssuer).trim() : null;
  if (issuer !== idpEntityId) return wrongIssuer("Assertion", issuer, idpEntityId);
  return { ok: true, value: issuer };
}

function wrongIssuer(where: string, actual: string | null, expected: string) {
  return samlFailure("wrong_issuer", `${where} Issuer was ${quoteValue(actual)}, expected ${quoteValue(expected)}`, {
    received: actual,
    expected,
  });
}

// node-saml does not check Destination. Okta and Entra always send it; when present it must be our ACS,
// or a response meant for another SP's endpoint could be replayed here.
export function checkDestination(response: Element, acsUrl: string): SamlResult<null> {
  const destination = attributeOrNull(response, "Destination");
  if (destination === null || destination === acsUrl) return { ok: true, value: null };
  return samlFailure("wrong_destination", `Response Destination was ${quoteValue(destination)}, expected ${quoteValue(acsUrl)}`, {
    received: destination,
    expected: acsUrl,
  });
}

/** Every AudienceRestriction must name our SP entity ID (SAML core 2.5.1.4), and there must be one. */
export function checkAudience(assertion: Element, spEntityId: string): SamlResult<null> {
  const restrictions = conditionsOf(assertion).flatMap((c) => childElements(c, SAML_ASSERTION_NS, "AudienceRestriction"));
  if (restrictions.length === 0) {
    return samlFailure("wrong_audience", `The assertion has no AudienceRestriction, expected ${quoteValue(spEntityId)}`, {
      received: null,
      expected: spEntityId,
    });
  }
  for (const restriction of restrictions) {
    const audiences = childElements(restriction, SAML_ASSERTION_NS, "Audience").map((a) => fullText(a).trim());
    if (!audiences.includes(spEntityId)) {
      return samlFailure(
        "wrong_audience",
        `Audience was ${audiences.map((a) => quoteValue(a)).join(", ") || "(none)"}, expected ${quoteValue(spEntityId)}`,
        { received: audiences.join(", ") || null, expected: spEntityId },
      );
    }
  }
  return { ok: true, value: null };
}

/** Conditions NotBefore / NotOnOrAfter against the injected clock; returns the Conditions NotOnOrAfter if any. */
export function checkConditionsTime(assertion: Element, clock: Clock): SamlResult<number | null> {
  const all = conditionsOf(assertion);
  if (all.length > 1) return samlFailure("malformed_response", "The assertion has more than one Conditions element");
  const conditions = all[0];
  if (conditions === undefined) return { ok: true, value: null };
  const notBefore = readInstant(conditions, "NotBefore", "Conditions");
  if (!notBefore.ok) return notBefore;
  const notOnOrAfter = readInstant(conditions, "NotOnOrAfter", "Conditions");
  if (!notOnOrAfter.ok) return notOnOrAfter;
  if (notBefore.value !== null && clock.nowMs + clock.clockSkewMs < notBefore.value) {
    return samlFailure(
      "not_yet_valid",
      `Assertion not yet valid: ${timeComparison("Conditions NotBefore", notBefore.value, clock)}`,
      timeDetails(assertion, notBefore.value, clock),
    );
  }
  if (notOnOrAfter.value !== null && clock.nowMs - clock.clockSkewMs >= notOnOrAfter.value) {
    return samlFailure(
      "expired",
      `Assertion expired: ${timeComparison("Conditions NotOnOrAfter", notOnOrAfter.value, clock)}`,
      timeDetails(assertion, notOnOrAfter.value, clock),
    );
  }
  return { ok: true, value: notOnOrAfter.value };
}

/**
 * Finds a bearer SubjectConfirmation whose data holds: Recipient is our ACS, NotOnOrAfter (required for
 * bearer, SAML profiles 4.1.4.2) not passed, NotBefore (if any) reached. node-saml skips all of this when
 * validateInResponseTo is 'never', and never compares Recipient. Reports the first bearer's failure.
 */
export function checkBearerConfirmation(
  assertion: Element,
  acsUrl: string,
  clock: Clock,
): SamlResult<{ inResponseTo: string | null; notOnOrAfterMs: number }> {
  const subject = firstChildElement(assertion, SAML_ASSERTION_NS, "Subject");
  const bearers = subject
    ? childElements(subject, SAML_ASSERTION_NS, "SubjectConfirmation").filter((c) => attributeOrNull(c, "Method") === BEARER)
    : [];
  if (bearers.length === 0) {
    return samlFailure("no_bearer_confirmation", `The assertion has no SubjectConfirmation with Method ${BEARER}`);
  }
  const outcomes = bearers.map((bearer) => checkOneBearer(bearer, acsUrl, clock, assertion));
  return outcomes.find((outcome) => outcome.ok) ?? (outcomes[0] as (typeof outcomes)[number]);
}

function checkOneBearer(
  bearer: Element,
  acsUrl: string,
  clock: Clock,
  assertion: Element,
): SamlResult<{ inResponseTo: string | null; notOnOrAfterMs: number }> {
  const data = firstChildElement(bearer, SAML_ASSERTION_NS, "SubjectConfirmationData");
  if (!data) return samlFailure("no_bearer_confirmation", "The bearer SubjectConfirmation has no SubjectConfirmationData");
  const recipient = attributeOrNull(data, "Recipient");
  if (recipient !== acsUrl) {
    return samlFailure(
      "wrong_recipient",
      `SubjectConfirmationData Recipient was ${quoteValue(recipient)}, expected ${quoteValue(acsUrl)}`,
      { received: recipient, expected: acsUrl },
    );
  }
  const notBefore = readInstant(data, "NotBefore", "SubjectConfirmationData");
  if (!notBefore.ok) return notBefore;
  const notOnOrAfter = readInstant(data, "NotOnOrAfter", "SubjectConfirmationData");
  if (!notOnOrAfter.ok) return notOnOrAfter;
  if (notOnOrAfter.value === null) {
    return samlFailure("no_bearer_confirmation", "The bearer SubjectConfirmationData has no NotOnOrAfter");
  }
  if (notBefore.value !== null && clock.nowMs + clock.clockSkewMs < notBefore.value) {
    return samlFailure(
      "not_yet_valid",
      `Subject confirmation not yet valid: ${timeComparison("SubjectConfirmationData NotBefore", notBefore.value, clock)}`,
      timeDetails(assertion, notBefore.value, clock),
    );
  }
  if (clock.nowMs - clock.clockSkewMs >= notOnOrAfter.value) {
    return samlFailure(
      "subject_confirmation_expired",
      `Subject confirmation expired: ${timeComparison("SubjectConfirmationData NotOnOrAfter", notOnOrAfter.value, clock)}`,
      timeDetails(assertion, notOnOrAfter.value, clock),
    );
  }
  return { ok: true, value: { inResponseTo: nonEmpty(attributeOrNull(data, "InResponseTo")), notOnOrAfterMs: notOnOrAfter.value } };
}

/**
 * The Response's InResponseTo is unsigned when only the assertion is signed; the copy inside the signed
 * SubjectConfirmationData is what we return, and a Response value that disagrees with it is refused
 * (otherwise a captured IdP-initiated assertion could be dressed up as the answer to our own request).
 */
export function checkInResponseTo(response: Element, signedInResponseTo: string | null): SamlResult<string | null> {
  const responseInResponseTo = nonEmpty(attributeOrNull(response, "InResponseTo"));
  if (responseInResponseTo === null || responseInResponseTo === signedInResponseTo) {
    return { ok: true, value: signedInResponseTo };
  }
  return samlFailure(
    "in_response_to_mismatch",
    `Response InResponseTo was ${quoteValue(responseInResponseTo)} but the signed SubjectConfirmationData says ${quoteValue(signedInResponseTo)}`,
  );
}

function conditionsOf(assertion: Element): Element[] {
  return childElements(assertion, SAML_ASSERTION_NS, "Conditions");
}

function readInstant(element: Element, attribute: string, where: string): SamlResult<number | null> {
  const value = attributeOrNull(element, attribute);
  if (value === null) return { ok: true, value: null };
  const ms = UTC_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    return samlFailure("malformed_response", `${where} ${attribute} ${quoteValue(value)} is not a UTC xs:dateTime`);
  }
  return { ok: true, value: ms };
}

function timeComparison(label: string, instantMs: number, clock: Clock): string {
  return `${label} is ${new Date(instantMs).toISOString()}, now is ${new Date(clock.nowMs).toISOString()}, allowed clock skew ${clock.clockSkewMs / 1000}s`;
}

// The assertion's IssueInstant is the IdP's clock at signing: set beside ours, it measures the gap between the clocks.
function timeDetails(assertion: Element, instantMs: number, clock: Clock) {
  const issued = attributeOrNull(assertion, "IssueInstant");
  const issuedMs = issued !== null && UTC_DATE_TIME.test(issued) ? Date.parse(issued) : Number.NaN;
  return {
    instant: new Date(instantMs).toISOString(),
    now: new Date(clock.nowMs).toISOString(),
    issuedAt: Number.isNaN(issuedMs) ? null : new Date(issuedMs).toISOString(),
  };
}

function nonEmpty(value: string | null): string | null {
  return value === null || value === "" ? null : value;
}
