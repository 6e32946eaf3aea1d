import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DOMParser } from "@xmldom/xmldom";
import { SignedXml } from "xml-crypto";
import { ATTACKER_EMAIL, samlAttacks, type SamlAttackContext } from "../../../test/support/saml-attacks.js";
import {
  NAME_ID_PERSISTENT,
  NAME_ID_UNSPECIFIED,
  createTestIdp,
  type BuildResponseOptions,
  type TestIdp,
} from "../../../test/support/test-idp.js";
import { decodeAndGuardSamlResponse, deepestElementNesting } from "./pre-parse-guard.js";
import { validateSignatureWithNodeSaml } from "./signature-validation.js";
import { verifySamlResponse, type SamlFailure, type VerifiedAssertion, type VerifySamlResponseInput } from "./verify-response.js";

// Far from the machine's clock on purpose: if node-saml fell back to `new Date()`, every test would fail.
const NOW = new Date("2031-03-04T10:00:00.000Z");
const THREE_MINUTES_MS = 3 * 60 * 1000;
const MINUTE_MS = 60 * 1000;
const SP = {
  entityId: "https://clinic-a.example.test/saml/metadata",
  acsUrl: "https://clinic-a.example.test/saml/acs",
};
const ATTRIBUTE_NAMES = {
  email: ["email", "mail", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"],
  firstName: ["firstName", "givenName", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"],
  lastName: ["lastName", "surname", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"],
};
const VICTIM = "dr.jones@clinic-a.example";
const REQUEST_ID = "_request-4f1c";

let idp: TestIdp;
let rolloverIdp: TestIdp;
let attackerIdp: TestIdp;

before(async () => {
  idp = await createTestIdp();
  // Same IdP entity, new key: what Entra's metadata lists during a certificate rollover.
  rolloverIdp = await createTestIdp({ entityId: idp.entityId });
  attackerIdp = await createTestIdp();
});

function verify(samlResponse: string, overrides: Partial<VerifySamlResponseInput> = {}) {
  return verifySamlResponse({
    samlResponse,
    trust: { idpEntityId: idp.entityId, certificates: [idp.certificatePem] },
    sp: SP,
    attributeNames: ATTRIBUTE_NAMES,
    now: NOW,
    clockSkewMs: THREE_MINUTES_MS,
    ...overrides,
  });
}

function respond(overrides: Partial<BuildResponseOptions> = {}): Promise<string> {
  return idp.buildResponse({
    spEntityId: SP.entityId,
    acsUrl: SP.acsUrl,
    email: VICTIM,
    inResponseTo: REQUEST_ID,
    now: NOW,
    ...overrides,
  });
}

function accepted(result: Awaited<ReturnType<typeof verifySamlResponse>>): VerifiedAssertion {
  if (!result.ok) assert.fail(`expected acceptance, got ${result.error.code}: ${result.error.reason}`);
  return result.value;
}

function refused(result: Awaited<ReturnType<typeof verifySamlResponse>>, samlResponse: string): SamlFailure {
  if (result.ok) assert.fail(`expected a refusal, got a verified assertion for ${result.value.email}`);
  assertReasonCarriesNoXml(result.error.reason, samlResponse);
  return result.error;
}

function assertReasonCarriesNoXml(reason: string, samlResponse: string): void {
  assert.doesNotMatch(reason, /</, `reason contains markup: ${reason}`);
  const xml = Buffer.from(samlResponse, "base64").toString("utf8");
  assert.ok(!reason.includes(xml.slice(0, 80)), "reason contains the message");
}

/** Independent of node-saml: does any signature in the message verify with this certificate? */
function hasSignatureVerifiedBy(samlResponse: string, certificatePem: string): boolean {
  const xml = Buffer.from(samlResponse, "base64").toString("utf8");
  const doc = new DOMParser().parseFromString(xml, "text/xml") as unknown as Node;
  return new SignedXml().findSignatures(doc).some((signatureNode) => {
    const signature = new SignedXml({ publicCert: certificatePem });
    try {
      signature.loadSignature(signatureNode);
      return signature.checkSignature(xml);
    } catch {
      return false;
    }
  });
}

describe("verifySamlResponse refuses every attack in the catalogue", () => {
  for (const attack of samlAttacks) {
    it(`rejects ${attack.name}`, async () => {
      const ctx: SamlAttackContext = { idp, attackerIdp, sp: SP, email: VICTIM, now: NOW, inResponseTo: REQUEST_ID };
      const samlResponse = await attack.build(ctx);
      if (attack.trustedSignatureVerifies !== undefined) {
        assert.equal(
          hasSignatureVerifiedBy(samlResponse, idp.certificatePem),
          attack.trustedSignatureVerifies,
          "the fixture is not armed as described",
        );
      }
      const failure = refused(await verify(samlResponse), samlResponse);
      assert.equal(failure.code, attack.expectedCode, failure.reason);
    });
  }
});

describe("verifySamlResponse accepts what real IdPs send", () => {
  it("accepts a response with both Response and Assertion signed (Okta)", async () => {
    const samlResponse = await respond({ signing: "both" });
    const value = accepted(await verify(samlResponse));
    assert.equal(value.email, VICTIM);
    assert.equal(value.nameId, VICTIM);
    assert.equal(value.nameIdFormat, "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
    assert.equal(value.issuer, idp.entityId);
    assert.equal(value.inResponseTo, REQUEST_ID);
    assert.match(value.assertionId, /^_/);
  });

  it("accepts an assertion-only signed response (Entra ID, Google)", async () => {
    const value = accepted(await verify(await respond({ signing: "assertion" })));
    assert.equal(value.email, VICTIM);
  });

  it("accepts a response-only signed response (Auth0 with signResponse)", async () => {
    const value = accepted(await verify(await respond({ signing: "response" })));
    assert.equal(value.email, VICTIM);
  });

  it("accepts a response signed by the second trusted certificate (rollover)", async () => {
    const samlResponse = await rolloverIdp.buildResponse({
      spEntityId: SP.entityId,
      acsUrl: SP.acsUrl,
      email: VICTIM,
      now: NOW,
      signing: "assertion",
    });
    const trust = { idpEntityId: idp.entityId, certificates: [idp.certificatePem, rolloverIdp.certificatePem] };
    assert.equal(accepted(await verify(samlResponse, { trust })).email, VICTIM);
    const withOldCertOnly = refused(await verify(samlResponse), samlResponse);
    assert.equal(withOldCertOnly.code, "invalid_signature");
  });

  it("reads the email from the Entra claim URI attribute when NameID is not an address", async () => {
    const samlResponse = await respond({
      signing: "assertion",
      nameId: "Xk3q9vRZ0o1m2n3b4v5c6x7z8a9s0d1f2g3h4j5k6l7",
      nameIdFormat: NAME_ID_PERSISTENT,
      attributes: {
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": "ann.lee@clinic-a.example",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": "Ann",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": "Lee",
      },
    });
    const value = accepted(await verify(samlResponse));
    assert.equal(value.email, "ann.lee@clinic-a.example");
    assert.equal(value.nameId, "Xk3q9vRZ0o1m2n3b4v5c6x7z8a9s0d1f2g3h4j5k6l7");
    assert.equal(value.firstName, "Ann");
    assert.equal(value.lastName, "Lee");
  });

  it("reads the email from the email attribute when NameID is unspecified (Okta)", async () => {
    const samlResponse = await respond({
      nameId: "00u1a2b3c4d5e6f7g8h9",
      nameIdFormat: NAME_ID_UNSPECIFIED,
      attributes: { email: "sam.ortiz@clinic-a.example", firstName: "Sam", lastName: "Ortiz" },
    });
    const value = accepted(await verify(samlResponse));
    assert.equal(value.email, "sam.ortiz@clinic-a.example");
    assert.equal(value.nameIdFormat, NAME_ID_UNSPECIFIED);
    assert.equal(value.firstName, "Sam");
  });

  it("lower-cases the email", async () => {
    const value = accepted(await verify(await respond({ email: "Dr.Jones@Clinic-A.Example" })));
    assert.equal(value.email, "dr.jones@clinic-a.example");
    assert.equal(value.nameId, "Dr.Jones@Clinic-A.Example");
  });

  it("accepts a response without Destination and Response Issuer (both optional in SAML)", async () => {
    const samlResponse = await respond({ signing: "assertion", destination: null, responseIssuer: null });
    assert.equal(accepted(await verify(samlResponse)).email, VICTIM);
  });

  it("returns a null InResponseTo for an IdP-initiated response", async () => {
    const samlResponse = await idp.buildResponse({ spEntityId: SP.entityId, acsUrl: SP.acsUrl, email: VICTIM, now: NOW });
    assert.equal(accepted(await verify(samlResponse)).inResponseTo, null);
  });

  it("returns the earliest NotOnOrAfter plus the skew as the replay-cache expiry", async () => {
    const samlResponse = await respond({
      notOnOrAfter: new Date(NOW.getTime() + 10 * MINUTE_MS),
      subjectNotOnOrAfter: new Date(NOW.getTime() + 5 * MINUTE_MS),
    });
    const value = accepted(await verify(samlResponse));
    assert.equal(value.notOnOrAfter.toISOString(), new Date(NOW.getTime() + 5 * MINUTE_MS + THREE_MINUTES_MS).toISOString());
  });
});

describe("verifySamlResponse tolerates clock skew, within limits", () => {
  it("accepts an IdP clock 2 minutes ahead (NotBefore in the future, within the 3-minute skew)", async () => {
    const issued = new Date(NOW.getTime() + 2 * MINUTE_MS);
    accepted(await verify(await respond({ now: issued })));
  });

  it("refuses an IdP clock 4 minutes ahead, naming the times and the skew", async () => {
    const samlResponse = await respond({ now: new Date(NOW.getTime() + 4 * MINUTE_MS) });
    const failure = refused(await verify(samlResponse), samlResponse);
    assert.equal(failure.code, "not_yet_valid");
    assert.match(failure.reason, /NotBefore is 2031-03-04T10:04:00\.000Z, now is 2031-03-04T10:00:00\.000Z, allowed clock skew 180s/);
  });

  it("accepts an assertion 2 minutes past its NotOnOrAfter (within the skew)", async () => {
    const ended = new Date(NOW.getTime() - 2 * MINUTE_MS);
    accepted(await verify(await respond({ notOnOrAfter: ended, subjectNotOnOrAfter: ended, now: new Date(ended.getTime() - MINUTE_MS) })));
  });

  it("refuses an assertion 4 minutes past its NotOnOrAfter", async () => {
    const ended = new Date(NOW.getTime() - 4 * MINUTE_MS);
    const samlResponse = await respond({ notOnOrAfter: ended, now: new Date(ended.getTime() - MINUTE_MS) });
    const failure = refused(await verify(samlResponse), samlResponse);
    assert.equal(failure.code, "expired");
    assert.match(failure.reason, /allowed clock skew 180s/);
  });

  it("judges time by the injected clock, not the machine clock (node-saml included)", async () => {
    const samlResponse = await respond();
    accepted(await verify(samlResponse));
    const atMachineTime = refused(await verify(samlResponse, { now: new Date() }), samlResponse);
    assert.equal(atMachineTime.code, "not_yet_valid");
  });
});

describe("verifySamlResponse explains the rules an admin can fix", () => {
  it("tells Auth0 admins how to move off SHA-1", async () => {
    const samlResponse = await respond({ signing: "assertion", signatureAlgorithm: "sha1" });
    const failure = refused(await verify(samlResponse), samlResponse);
    assert.equal(failure.code, "weak_signature_algorithm");
    assert.match(failure.reason, /"signatureAlgorithm": "rsa-sha256"/);
    assert.match(failure.reason, /"digestAlgorithm": "sha256"/);
  });

  it("names the audience it saw and the one it expected", async () => {
    const samlResponse = await respond({ audience: "https://x.example.test" });
    const failure = refused(await verify(samlResponse), samlResponse);
    assert.equal(failure.reason, `Audience was "https://x.example.test", expected "${SP.entityId}"`);
  });

  it("refuses an assertion with no email address anywhere", async () => {
    const samlResponse = await respond({ nameId: "opaque-id-123", nameIdFormat: NAME_ID_PERSISTENT });
    assert.equal(refused(await verify(samlResponse), samlResponse).code, "no_email");
  });

  it("refuses an assertion without a bearer subject confirmation", async () => {
    const samlResponse = await respond({ subjectConfirmationMethod: "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key" });
    assert.equal(refused(await verify(samlResponse), samlResponse).code, "no_bearer_confirmation");
  });

  it("refuses an EncryptedAssertion with a clear reason", async () => {
    const xml = Buffer.from(await respond({ signing: "assertion" }), "base64").toString("utf8");
    const encrypted = xml.replace(
      /<saml:Assertion[\s\S]*<\/saml:Assertion>/,
      '<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion>',
    );
    const samlResponse = Buffer.from(encrypted, "utf8").toString("base64");
    const failure = refused(await verify(samlResponse), samlResponse);
    assert.equal(failure.code, "encrypted_assertion_unsupported");
  });

  it('throws on a negative clock skew, which node-saml would read as "skip every time check"', async () => {
    await assert.rejects(verify(await respond(), { clockSkewMs: -1 }), RangeError);
  });
});

describe("values come from the signed assertion, not from the posted tree", () => {
  // The one-assertion rule refuses every XSW fixture first; this checks the layer behind it on its own:
  // given XSW7 (evil assertion in Extensions), node-saml hands back the genuinely signed assertion.
  it("gets the signed assertion from node-saml even when an evil copy sits in Extensions (XSW7)", async () => {
    const xsw7 = samlAttacks.find((a) => a.name.includes("(XSW7)"));
    assert.ok(xsw7);
    const samlResponse = await xsw7.build({ idp, attackerIdp, sp: SP, email: VICTIM, now: NOW });
    const outcome = await validateSignatureWithNodeSaml({
      xml: Buffer.from(samlResponse, "base64").toString("utf8"),
      idpCertificates: [idp.certificatePem],
      idpEntityId: idp.entityId,
      spEntityId: SP.entityId,
      acsUrl: SP.acsUrl,
      now: NOW,
      clockSkewMs: THREE_MINUTES_MS,
    });
    assert.equal(outcome.kind, "accepted");
    assert.ok(outcome.kind === "accepted" && outcome.verifiedAssertionXml.includes(ATTACKER_EMAIL));
    assert.ok(outcome.kind === "accepted" && !outcome.verifiedAssertionXml.includes(VICTIM));
  });
});

describe("pre-parse guard", () => {
  it("refuses the deeply nested input itself, before any XML parser runs", async () => {
    const attack = samlAttacks.find((a) => a.expectedCode === "nesting_too_deep");
    assert.ok(attack);
    const samlResponse = await attack.build({ idp, attackerIdp, sp: SP, email: VICTIM, now: NOW });
    const guarded = decodeAndGuardSamlResponse(samlResponse);
    assert.equal(guarded.ok, false);
    assert.equal(!guarded.ok && guarded.error.code, "nesting_too_deep");
  });

  it("counts nesting past markup that only looks like tags", () => {
    const xml = "<a x=\"<b>\" y='>'><!-- <c><d> --><![CDATA[<e><f>]]><?pi <g>?><h/><i></i></a>";
    assert.equal(deepestElementNesting(xml, 64), 2);
  });

  it("lets a real response through", async () => {
    const guarded = decodeAndGuardSamlResponse(await respond());
    assert.equal(guarded.ok, true);
  });
});
