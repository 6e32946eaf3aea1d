/**
 * The attack catalogue: each entry builds a hostile SAMLResponse (base64, as it would be POSTed) from a
 * real test IdP, and names the failure code the verifier must answer with. Builders never call the
 * verifier, so HTTP-level ACS tests can post the same fixtures.
 */
import { randomUUID } from "node:crypto";
import { DOMParser, XMLSerializer, type Document, type Element } from "@xmldom/xmldom";
import type { SamlFailureCode } from "../../src/sso/saml/verify-response.js";
import type { BuildResponseOptions, TestIdp } from "./test-idp.js";

export interface SamlAttackContext {
  /** The IdP the clinic's connection trusts. */
  idp: TestIdp;
  /** An IdP with a key the connection has never seen. */
  attackerIdp: TestIdp;
  sp: { entityId: string; acsUrl: string };
  /** The victim's address: who the attacker wants to be signed in as. */
  email: string;
  /** The clock the verifier will be given; fixtures are timed around it. */
  now: Date;
  /** The AuthnRequest ID the response answers, when the test started a login. */
  inResponseTo?: string;
}

export interface SamlAttack {
  name: string;
  expectedCode: SamlFailureCode;
  /**
   * Whether the fixture still carries a signature by the trusted IdP that verifies cryptographically.
   * `true` proves the refusal comes from the rule under test, not from a broken signature; `false`
   * proves an `invalid_signature` fixture really is broken. Absent where it says nothing useful.
   */
  trustedSignatureVerifies?: boolean;
  build(ctx: SamlAttackContext): Promise<string>;
}

const SAML_PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
const SAML_ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#";
/** The attacker's own account at the trusted IdP: they can get genuinely signed assertions for it. */
export const ATTACKER_EMAIL = "mallory@attacker.example";
const MINUTE_MS = 60 * 1000;

export const samlAttacks: SamlAttack[] = [
  {
    name: "an unsigned assertion",
    expectedCode: "unsigned",
    trustedSignatureVerifies: false,
    build: (ctx) => genuine(ctx, { signing: "none" }),
  },
  {
    name: "a signature-stripped assertion",
    expectedCode: "unsigned",
    trustedSignatureVerifies: false,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "assertion" }));
      const assertion = theAssertion(doc);
      removeSignature(assertion);
      setNameId(assertion, ctx.email);
      return encode(doc);
    },
  },
  {
    name: "a response signed by an unknown key with its own certificate in KeyInfo",
    expectedCode: "invalid_signature",
    trustedSignatureVerifies: false,
    build: (ctx) => ctx.attackerIdp.buildResponse({ ...baseOptions(ctx), issuer: ctx.idp.entityId, signing: "both" }),
  },
  {
    name: "an assertion tampered after signing (email changed)",
    expectedCode: "invalid_signature",
    trustedSignatureVerifies: false,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "assertion" }));
      setNameId(theAssertion(doc), ctx.email);
      return encode(doc);
    },
  },
  {
    name: "a response tampered after signing (email changed under a response-only signature)",
    expectedCode: "invalid_signature",
    trustedSignatureVerifies: false,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "response" }));
      setNameId(theAssertion(doc), ctx.email);
      return encode(doc);
    },
  },
  {
    name: "a response wrapped around its signed original, kept inside the signature (XSW1)",
    expectedCode: "assertion_count",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "response" }));
      const { evil, signature, original } = wrapResponse(doc, ctx.email);
      signature.appendChild(original);
      return encode(evil.ownerDocument);
    },
  },
  {
    name: "a response wrapped around its signed original, kept beside a detached signature (XSW2)",
    expectedCode: "assertion_count",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "response" }));
      const { evil, signature, original } = wrapResponse(doc, ctx.email);
      evil.insertBefore(original, signature);
      return encode(evil.ownerDocument);
    },
  },
  {
    name: "a response whose evil assertion sits before the signed one (XSW3)",
    expectedCode: "assertion_count",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "assertion" }));
      const signed = theAssertion(doc);
      signed.parentNode?.insertBefore(unsignedEvilCopy(signed, ctx.email), signed);
      return encode(doc);
    },
  },
  {
    name: "a response whose evil assertion wraps the signed one (XSW4)",
    expectedCode: "assertion_count",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "assertion" }));
      const signed = theAssertion(doc);
      const evil = unsignedEvilCopy(signed, ctx.email);
      signed.parentNode?.replaceChild(evil, signed);
      evil.appendChild(signed);
      return encode(doc);
    },
  },
  {
    name: "a response whose evil assertion keeps the signature, the original appended at the end (XSW5)",
    expectedCode: "assertion_count",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "assertion" }));
      const { evil, original } = turnSignedAssertionEvil(doc, ctx.email);
      evil.parentNode?.appendChild(original);
      return encode(doc);
    },
  },
  {
    name: "a response whose evil assertion keeps the signature, the original inside that signature (XSW6)",
    expectedCode: "assertion_count",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "assertion" }));
      const { evil, original } = turnSignedAssertionEvil(doc, ctx.email);
      signatureOf(evil).appendChild(original);
      return encode(doc);
    },
  },
  {
    name: "a response whose evil assertion hides in samlp:Extensions beside the signed one (XSW7)",
    expectedCode: "assertion_count",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "assertion" }));
      const signed = theAssertion(doc);
      const response = doc.documentElement as Element;
      const extensions = doc.createElementNS(SAML_PROTOCOL_NS, "samlp:Extensions");
      extensions.appendChild(unsignedEvilCopy(signed, ctx.email));
      response.insertBefore(extensions, firstChild(response, SAML_PROTOCOL_NS, "Status"));
      return encode(doc);
    },
  },
  {
    name: "a response whose evil assertion keeps the signature, the original in a ds:Object (XSW8)",
    expectedCode: "assertion_count",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "assertion" }));
      const { evil, original } = turnSignedAssertionEvil(doc, ctx.email);
      const object = doc.createElementNS(XMLDSIG_NS, "ds:Object");
      object.appendChild(original);
      signatureOf(evil).appendChild(object);
      return encode(doc);
    },
  },
  {
    name: "a comment inside NameID that would truncate the address (comment truncation)",
    expectedCode: "comment_in_value",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      // The attacker's genuine account is "<victim>.attacker.example"; c14n ignores comments, so the
      // signature survives, and a reader stopping at the comment would see only the victim's address.
      const doc = decode(await genuine(ctx, { email: `${ctx.email}.attacker.example`, signing: "assertion" }));
      const nameId = nameIdOf(theAssertion(doc));
      clearChildren(nameId);
      nameId.appendChild(doc.createTextNode(ctx.email));
      nameId.appendChild(doc.createComment(""));
      nameId.appendChild(doc.createTextNode(".attacker.example"));
      return encode(doc);
    },
  },
  {
    name: "an expired assertion (Conditions NotOnOrAfter passed)",
    expectedCode: "expired",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { notBefore: minutesFrom(ctx.now, -15), notOnOrAfter: minutesFrom(ctx.now, -10) }),
  },
  {
    name: "a not-yet-valid assertion (Conditions NotBefore ahead)",
    expectedCode: "not_yet_valid",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { notBefore: minutesFrom(ctx.now, 10), notOnOrAfter: minutesFrom(ctx.now, 15) }),
  },
  {
    name: "an expired SubjectConfirmationData",
    expectedCode: "subject_confirmation_expired",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { subjectNotOnOrAfter: minutesFrom(ctx.now, -10) }),
  },
  {
    name: "an assertion for another SP (wrong audience)",
    expectedCode: "wrong_audience",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { audience: "https://other-clinic.example.test/saml/metadata" }),
  },
  {
    name: "a subject confirmation for another ACS (wrong recipient)",
    expectedCode: "wrong_recipient",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { recipient: "https://other-clinic.example.test/saml/acs" }),
  },
  {
    name: "a response for another ACS (wrong destination)",
    expectedCode: "wrong_destination",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { destination: "https://other-clinic.example.test/saml/acs" }),
  },
  {
    name: "a response issued as another entity under the trusted key (wrong issuer)",
    expectedCode: "wrong_issuer",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { issuer: "https://another-idp.example.test/metadata" }),
  },
  {
    // node-saml does not look at the assertion's Issuer at all; the Response Issuer is right here.
    name: "an assertion issued as another entity beside a correct Response Issuer (wrong issuer)",
    expectedCode: "wrong_issuer",
    trustedSignatureVerifies: true,
    build: (ctx) =>
      genuine(ctx, {
        signing: "assertion",
        issuer: "https://another-idp.example.test/metadata",
        responseIssuer: ctx.idp.entityId,
      }),
  },
  {
    name: "a non-Success status with a signed assertion",
    expectedCode: "status_not_success",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { status: "urn:oasis:names:tc:SAML:2.0:status:Responder" }),
  },
  {
    name: "two signed assertions in one response",
    expectedCode: "assertion_count",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { email: ATTACKER_EMAIL, signing: "assertion" }));
      const second = decode(await genuine(ctx, { signing: "assertion" }));
      doc.documentElement?.appendChild(doc.importNode(theAssertion(second), true));
      return encode(doc);
    },
  },
  {
    name: "a Response InResponseTo rewritten under an assertion-only signature",
    expectedCode: "in_response_to_mismatch",
    trustedSignatureVerifies: true,
    build: async (ctx) => {
      const doc = decode(await genuine(ctx, { signing: "assertion", inResponseTo: "_captured-request" }));
      doc.documentElement?.setAttribute("InResponseTo", ctx.inResponseTo ?? "_attackers-own-request");
      return encode(doc);
    },
  },
  {
    name: "an RSA-SHA1 signature (Auth0 default)",
    expectedCode: "weak_signature_algorithm",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { signing: "assertion", signatureAlgorithm: "sha1" }),
  },
  {
    name: "a DOCTYPE with entity expansion (billion laughs)",
    expectedCode: "doctype_forbidden",
    build: async (ctx) => {
      const entities = ['<!ENTITY lol0 "lol">'];
      for (let level = 1; level <= 9; level++) {
        entities.push(`<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`);
      }
      const xml = withNameIdMarkup(decodeText(await genuine(ctx)), "&lol9;");
      return encodeText(`<!DOCTYPE samlp:Response [${entities.join("")}]>${xml}`);
    },
  },
  {
    name: "an XXE external entity",
    expectedCode: "doctype_forbidden",
    build: async (ctx) => {
      const xml = withNameIdMarkup(decodeText(await genuine(ctx)), "&xxe;");
      return encodeText(`<!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>${xml}`);
    },
  },
  {
    name: "an oversized response (over the 256 KiB limit)",
    expectedCode: "response_too_large",
    trustedSignatureVerifies: true,
    build: (ctx) => genuine(ctx, { attributes: { memberOf: "g".repeat(300 * 1024) } }),
  },
  {
    name: "deeply nested elements (nesting bomb just under the size limit)",
    expectedCode: "nesting_too_deep",
    build: async (ctx) => {
      const levels = 35_000;
      const xml =
        `<samlp:Response xmlns:samlp="${SAML_PROTOCOL_NS}" ID="_nested" Version="2.0" IssueInstant="${ctx.now.toISOString()}">` +
        "<a>".repeat(levels) +
        "</a>".repeat(levels) +
        "</samlp:Response>";
      return encodeText(xml);
    },
  },
  {
    name: "a malformed response: not base64",
    expectedCode: "malformed_response",
    build: async () => "%%% this is not base64 %%%",
  },
  {
    name: "a malformed response: base64 of text that is not XML",
    expectedCode: "malformed_response",
    build: async () => encodeText("Hello, I am not a SAML response."),
  },
  {
    name: "a malformed response: truncated XML",
    expectedCode: "malformed_response",
    build: async (ctx) => {
      const xml = decodeText(await genuine(ctx));
      return encodeText(xml.slice(0, Math.floor(xml.length / 2)));
    },
  },
];

function baseOptions(ctx: SamlAttackContext): BuildResponseOptions {
  return {
    spEntityId: ctx.sp.entityId,
    acsUrl: ctx.sp.acsUrl,
    email: ctx.email,
    now: ctx.now,
    ...(ctx.inResponseTo === undefined ? {} : { inResponseTo: ctx.inResponseTo }),
  };
}

/** A response the trusted IdP really issues; `overrides` change what the IdP puts in it. */
function genuine(ctx: SamlAttackContext, overrides: Partial<BuildResponseOptions> = {}): Promise<string> {
  return ctx.idp.buildResponse({ ...baseOptions(ctx), ...overrides });
}

function decodeText(base64: string): string {
  return Buffer.from(base64, "base64").toString("utf8");
}

function encodeText(xml: string): string {
  return Buffer.from(xml, "utf8").toString("base64");
}

function decode(base64: string): Document {
  return new DOMParser().parseFromString(decodeText(base64), "text/xml");
}

function encode(doc: Document | null): string {
  if (doc === null) throw new Error("fixture lost its document");
  return encodeText(new XMLSerializer().serializeToString(doc));
}

function firstChild(parent: Element, namespace: string, localName: string): Element | null {
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    const element = node as Element;
    if (node.nodeType === 1 && element.namespaceURI === namespace && element.localName === localName) return element;
  }
  return null;
}

function required(parent: Element, namespace: string, localName: string): Element {
  const element = firstChild(parent, namespace, localName);
  if (element === null) throw new Error(`fixture has no ${localName} under ${parent.localName}`);
  return element;
}

function theAssertion(doc: Document): Element {
  return required(doc.documentElement as Element, SAML_ASSERTION_NS, "Assertion");
}

function signatureOf(element: Element): Element {
  return required(element, XMLDSIG_NS, "Signature");
}

function nameIdOf(assertion: Element): Element {
  return required(required(assertion, SAML_ASSERTION_NS, "Subject"), SAML_ASSERTION_NS, "NameID");
}

function removeSignature(element: Element): void {
  const signature = firstChild(element, XMLDSIG_NS, "Signature");
  if (signature !== null) element.removeChild(signature);
}

function clearChildren(element: Element): void {
  while (element.firstChild !== null) element.removeChild(element.firstChild);
}

function setNameId(assertion: Element, email: string): void {
  const nameId = nameIdOf(assertion);
  clearChildren(nameId);
  nameId.appendChild((assertion.ownerDocument as Document).createTextNode(email));
}

/** A copy of a signed assertion, unsigned, with a new ID and the victim's address. */
function unsignedEvilCopy(signed: Element, email: string): Element {
  const evil = signed.cloneNode(true) as Element;
  removeSignature(evil);
  evil.setAttribute("ID", `_evil-${randomUUID()}`);
  setNameId(evil, email);
  return evil;
}

/**
 * XSW5/6/8 shape: the signed assertion is edited in place (victim's address, new ID) and keeps its
 * Signature, whose Reference still points at the original ID; `original` is an unsigned copy of the
 * untouched assertion, carrying that ID, for the caller to hide somewhere.
 */
function turnSignedAssertionEvil(doc: Document, email: string): { evil: Element; original: Element } {
  const evil = theAssertion(doc);
  const original = evil.cloneNode(true) as Element;
  removeSignature(original);
  evil.setAttribute("ID", `_evil-${randomUUID()}`);
  setNameId(evil, email);
  return { evil, original };
}

/**
 * XSW1/2 shape: a new Response (new ID, victim's assertion) takes over the original Response's Signature;
 * `original` is the genuine Response with its signature removed, still carrying the referenced ID.
 */
function wrapResponse(doc: Document, email: string): { evil: Element; signature: Element; original: Element } {
  const genuineResponse = doc.documentElement as Element;
  const original = genuineResponse.cloneNode(true) as Element;
  removeSignature(original);
  const evil = genuineResponse;
  evil.setAttribute("ID", `_evil-${randomUUID()}`);
  setNameId(theAssertion(doc), email);
  return { evil, signature: signatureOf(evil), original };
}

function withNameIdMarkup(xml: string, markup: string): string {
  return xml.replace(/(<saml:NameID[^>]*>)[^<]*(<\/saml:NameID>)/, `$1${markup}$2`);
}

function minutesFrom(date: Date, minutes: number): Date {
  return new Date(date.getTime() + minutes * MINUTE_MS);
}
