import type { Document, Element } from "@xmldom/xmldom";
import { quoteValue, samlFailure, type SamlResult } from "./failure.js";
import {
  SAML_ASSERTION_NS,
  SAML_PROTOCOL_NS,
  XMLDSIG_NS,
  attributeOrNull,
  childElements,
  descendantElements,
  firstChildElement,
  fullText,
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
    return samlFailure(
      "malformed_response",
      `The document element is ${quoteValue(response?.localName)}, expected a SAML 2.0 protocol Response`,
    );
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
function checkStatusIsSuccess(response: Element): SamlResult<null> {
  const status = firstChildElement(response, SAML_PROTOCOL_NS, "Status");
  const code = status ? firstChildElement(status, SAML_PROTOCOL_NS, "StatusCode") : null;
  const value = code ? attributeOrNull(code, "Value") : null;
  if (value === SUCCESS) return { ok: true, value: null };
  const nested = code ? firstChildElement(code, SAML_PROTOCOL_NS, "StatusCode") : null;
  const message = status ? firstChildElement(status, SAML_PROTOCOL_NS, "StatusMessage") : null;
  const details = [
    nested ? `second-level status ${quoteValue(attributeOrNull(nested, "Value"))}` : null,
    message ? `message ${quoteValue(fullText(message))}` : null,
  ].filter((detail) => detail !== null);
  return samlFailure(
    "status_not_success",
    `The IdP answered with status ${quoteValue(value)}${details.length > 0 ? ` (${details.join(", ")})` : ""}, expected ${SUCCESS}`,
  );
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
        `A signature uses SignatureMethod ${quoteValue(signatureMethod)} with DigestMethod ${quoteValue(digestMethods.join(", ") || null)}; only RSA/ECDSA with SHA-256 or stronger is accepted${usesSha1 ? `. ${AUTH0_SHA256_FIX}` : ""}`,
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
