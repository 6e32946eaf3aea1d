import type { Document, Element } from "@xmldom/xmldom";
import { samlFailure, type SamlResult } from "./failure.js";
import {
  SAML_ASSERTION_NS,
  SAML_PROTOCOL_NS,
  XMLDSIG_NS,
  attributeOrNull,
  childElements,
  descendantElements,
  firstChildElement,
  isNamed,
} from "./saml-xml.js";

const SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";

const ACCEPTED_SIGNATURE_METHODS = new Set([
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
]);

const ACCEPTED_DIGEST_METHODS = new Set([
  "http://www.w3.org/2001/04/xmlenc#sha256",
  "http://www.w3.org/2001/04/xmldsig-more#sha384",
  "http://www.w3.org/2001/04/xmlenc#sha512",
]);

// Auth0's SAML2 add-on signs with SHA-1 unless told otherwise; this is the fix its admins need.
const AUTH0_SHA256_FIX =
  'Auth0 admins: set "signatureAlgorithm": "rsa-sha256" and "digestAlgorithm": "sha256" in the SAML2 Web App add-on settings';

/** The posted document's Response and its only Assertion (unverified: for shape checks and Response-level values). */
export interface PostedResponse {
  response: Element;
  assertion: Element;
}

/**
 * Checks on the posted document that need no signature: it is a Response, its Status is Success, it holds
 * exactly one plain Assertion, something is signed, and every signature uses SHA-256 or stronger.
 */
export function checkResponseStructure(doc: Document): SamlResult<PostedResponse> {
  const response = doc.documentElement;
  if (!response || !isNamed(response, SAML_PROTOCOL_NS, "Response")) {
    return samlFailure("malformed_response", "The document element is not a SAML 2.0 protocol Response");
  }
  const status = checkStatusIsSuccess(response);
  if (!status.ok) return status;
  const assertion = findTheOnlyAssertion(response);
  if (!assertion.ok) return assertion;
  const signed = checkSomethingIsSigned(response, assertion.value);
  if (!signed.ok) return signed;
  const algorithms = checkSignatureAlgorithms(response);
  if (!algorithms.ok) return algorithms;
  return { ok: true, value: { response, assertion: assertion.value } };
}

// node-saml ignores the Status whenever a signed assertion is present; an IdP saying "failed" must win.
// Nothing vouches for this part of the message yet: the reason names the status codes from the SAML
// standard's list and nothing else, never the StatusMessage or other text anyone could have written.
function checkStatusIsSuccess(response: Element): SamlResult<null> {
  const status = firstChildElement(response, SAML_PROTOCOL_NS, "Status");
  const code = status ? firstChildElement(status, SAML_PROTOCOL_NS, "StatusCode") : null;
  const value = code ? attributeOrNull(code, "Value") : null;
  if (value === SUCCESS) return { ok: true, value: null };
  const nested = code ? firstChildElement(code, SAML_PROTOCOL_NS, "StatusCode") : null;
  const second = nested ? ` / ${statusName(attributeOrNull(nested, "Value"))}` : "";
  return samlFailure(
    "status_not_success",
    `An unsigned message claimed status ${statusName(value)}${second}, not Success; no signature vouches for it, so any text it carries is not shown`,
  );
}

const STATUS_PREFIX = "urn:oasis:names:tc:SAML:2.0:status:";
// SAML 2.0 core, 3.2.2.2: the only status codes we name; anything else is "an unknown status code".
const STANDARD_STATUS_CODES = new Set([
  "Success",
  "Requester",
  "Responder",
  "VersionMismatch",
  "AuthnFailed",
  "InvalidAttrNameOrValue",
  "InvalidNameIDPolicy",
  "NoAuthnContext",
  "NoAvailableIDP",
  "NoPassive",
  "NoSupportedIDP",
  "PartialLogout",
  "ProxyCountExceeded",
  "RequestDenied",
  "RequestUnsupported",
  "RequestVersionDeprecated",
  "RequestVersionTooHigh",
  "RequestVersionTooLow",
  "ResourceNotRecognized",
  "TooManyResponses",
  "UnknownAttrProfile",
  "UnknownPrincipal",
  "UnsupportedBinding",
]);

/** A status code's short name when it is one of the standard's, else a fixed phrase: never the message's own text. */
export function statusName(value: string | null): string {
  if (value === null) return "(none)";
  const name = value.startsWith(STATUS_PREFIX) ? value.slice(STATUS_PREFIX.length) : null;
  return name !== null && STANDARD_STATUS_CODES.has(name) ? name : "(an unknown status code)";
}

// Counted by local name in any namespace and at any depth: every XML Signature Wrapping variant (XSW1–8)
// needs a second assertion somewhere (beside, around, inside Extensions or ds:Object) next to the signed one.
function findTheOnlyAssertion(response: Element): SamlResult<Element> {
  const encrypted = descendantElements(response, (e) => e.localName === "EncryptedAssertion");
  if (encrypted.length > 0) {
    return samlFailure(
      "encrypted_assertion_unsupported",
      "The response carries an EncryptedAssertion; encrypted assertions are not supported: turn assertion encryption off at the IdP",
    );
  }
  const assertions = descendantElements(response, (e) => e.localName === "Assertion");
  const direct = childElements(response, SAML_ASSERTION_NS, "Assertion");
  if (assertions.length !== 1) {
    return samlFailure(
      "assertion_count",
      `The response contains ${assertions.length} Assertion elements (${direct.length} directly under the Response), exactly one is allowed; extra copies are the shape of an XML Signature Wrapping attack`,
    );
  }
  const [only] = direct;
  if (only === undefined) {
    return samlFailure("assertion_count", "The only Assertion is not a direct child of the Response");
  }
  return { ok: true, value: only };
}

function checkSomethingIsSigned(response: Element, assertion: Element): SamlResult<null> {
  const responseSigned = childElements(response, XMLDSIG_NS, "Signature").length > 0;
  const assertionSigned = childElements(assertion, XMLDSIG_NS, "Signature").length > 0;
  if (responseSigned || assertionSigned) return { ok: true, value: null };
  return samlFailure("unsigned", "Neither the Response nor the Assertion carries an XML signature");
}

// node-saml (through xml-crypto) accepts RSA-SHA1 and SHA-1 digests; SHA-1 is collision-broken.
function checkSignatureAlgorithms(response: Element): SamlResult<null> {
  const signatures = descendantElements(response, (e) => isNamed(e, XMLDSIG_NS, "Signature"));
  for (const signature of signatures) {
    const signatureMethod = algorithmOf(signature, "SignatureMethod")[0] ?? null;
    const digestMethods = algorithmOf(signature, "DigestMethod");
    // A missing method is not judged here: such a signature cannot verify, and node-saml refuses it.
    const weakDigest = digestMethods.some((digest) => digest !== null && !ACCEPTED_DIGEST_METHODS.has(digest));
    const weakSignature = signatureMethod !== null && !ACCEPTED_SIGNATURE_METHODS.has(signatureMethod);
    if (weakSignature || weakDigest) {
      const usesSha1 = /sha1$/i.test(signatureMethod ?? "") || digestMethods.some((d) => /sha1$/i.test(d ?? ""));
      return samlFailure(
        "weak_signature_algorithm",
        `A signature uses ${usesSha1 ? "SHA-1" : "an algorithm not on our list"}; only RSA/ECDSA with SHA-256 or stronger is accepted${usesSha1 ? `. ${AUTH0_SHA256_FIX}` : ""}`,
      );
    }
  }
  return { ok: true, value: null };
}

function algorithmOf(signature: Element, localName: "SignatureMethod" | "DigestMethod"): Array<string | null> {
  const signedInfo = firstChildElement(signature, XMLDSIG_NS, "SignedInfo");
  if (!signedInfo) return [];
  const methods = descendantElements(signedInfo, (e) => isNamed(e, XMLDSIG_NS, localName));
  return methods.map((method) => attributeOrNull(method, "Algorithm"));
}
