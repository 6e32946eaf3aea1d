/**
 * Differential test: `verifySamlResponse` (lean: one parse, xml-crypto's c14n and digests, cached keys)
 * against `verifySamlResponseStrict` (node-saml 5.1 plus our rules). The lean verifier may refuse more,
 * never accept more. Inputs: the attack catalogue, then generated responses signed with a key the
 * connection trusts and mutated before signing (what a misbehaving IdP could sign) and after signing
 * (what an attacker could change), with a fixed seed and a bounded number of runs.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DOMParser, XMLSerializer, type Document, type Element } from "@xmldom/xmldom";
import fc from "fast-check";
import { generate } from "selfsigned";
import { SignedXml } from "xml-crypto";
import { samlAttacks } from "../../../test/support/saml-attacks.js";
import { createTestIdp, type TestIdp } from "../../../test/support/test-idp.js";
import { verifySamlResponse, type VerifySamlResponseInput } from "./verify-response.js";
import { verifySamlResponseStrict } from "./verify-response-strict.js";

const NOW = new Date("2031-03-04T10:00:00.000Z");
const SKEW_MS = 3 * 60 * 1000;
const SP = { entityId: "https://clinic-a.example.test/saml/metadata", acsUrl: "https://clinic-a.example.test/saml/acs" };
const IDP_ENTITY_ID = "https://idp.differential.test/metadata";
const ATTRIBUTE_NAMES = { email: ["email"], firstName: ["firstName"], lastName: ["lastName"] };
const EMAIL = "dr.jones@clinic-a.example";
const GENERATED_RUNS = 1500;
const SEED = 20310304;
const PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion";

let signer: { certificatePem: string; privateKeyPem: string };
let catalogueIdp: TestIdp;
let attackerIdp: TestIdp;
let casesRun = 0;
let acceptedByBoth = 0;

before(async () => {
  const keys = await generate([{ name: "commonName", value: "idp.differential.test" }], { keySize: 2048, algorithm: "sha256" });
  signer = { certificatePem: keys.cert, privateKeyPem: keys.private };
  catalogueIdp = await createTestIdp();
  attackerIdp = await createTestIdp();
});

function inputFor(samlResponse: string, trust: VerifySamlResponseInput["trust"]): VerifySamlResponseInput {
  return { samlResponse, trust, sp: SP, attributeNames: ATTRIBUTE_NAMES, now: NOW, clockSkewMs: SKEW_MS };
}

/** Fails when the lean verifier accepts what the strict one refuses, or accepts it with other values. */
async function assertLeanNoLooserThanStrict(samlResponse: string, trust: VerifySamlResponseInput["trust"], label: string): Promise<void> {
  casesRun += 1;
  const lean = await verifySamlResponse(inputFor(samlResponse, trust));
  if (!lean.ok) return;
  const strict = await verifySamlResponseStrict(inputFor(samlResponse, trust));
  if (!strict.ok) {
    const xml = Buffer.from(samlResponse, "base64").toString("utf8");
    assert.fail(`lean accepted what strict refuses (${strict.error.code}: ${strict.error.reason}) [${label}]\n${xml}`);
  }
  acceptedByBoth += 1;
  assert.deepEqual(lean.value, strict.value, `lean and strict read different values [${label}]`);
}

// ------------------------------------------------------------------------------------ the generator

function responseXml(): string {
  const instant = NOW.toISOString();
  const later = new Date(NOW.getTime() + 5 * 60 * 1000).toISOString();
  return (
    `<samlp:Response xmlns:samlp="${PROTOCOL}" xmlns:saml="${ASSERTION}" ID="_resp1" Version="2.0" IssueInstant="${instant}" Destination="${SP.acsUrl}" InResponseTo="_req1">` +
    `<saml:Issuer>${IDP_ENTITY_ID}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_assert1" Version="2.0" IssueInstant="${instant}">` +
    `<saml:Issuer>${IDP_ENTITY_ID}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${EMAIL}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${later}" Recipient="${SP.acsUrl}" InResponseTo="_req1"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${instant}" NotOnOrAfter="${later}"><saml:AudienceRestriction><saml:Audience>${SP.entityId}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${instant}" SessionIndex="_assert1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue xsi:type="xs:string">${EMAIL}</saml:AttributeValue></saml:Attribute>` +
    `<saml:Attribute Name="firstName"><saml:AttributeValue xsi:type="xs:string">Dana</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>` +
    `</saml:Assertion></samlp:Response>`
  );
}

type Edit = (doc: Document, pick: number) => void;

const parse = (xml: string): Document => new DOMParser().parseFromString(xml, "text/xml");
const serialise = (doc: Document): string => new XMLSerializer().serializeToString(doc);
const allElements = (doc: Document): Element[] => Array.from(doc.getElementsByTagName("*"));
const pickFrom = <T>(items: T[], pick: number): T => items[pick % items.length] as T;
const named = (doc: Document, localName: string): Element[] => allElements(doc).filter((e) => e.localName === localName);
const FOREIGN = "urn:example:foreign";
const ODD_VALUES = [
  "",
  " ",
  `${SP.entityId} `,
  "2031-03-04T10:00:00",
  "not a date",
  "2031-03-04T09:50:00Z",
  "2031-03-04T10:20:00Z",
  "_assert1",
  "_resp1",
  "#_assert1",
  "x'y",
  SP.acsUrl,
  "https://evil.example",
];

/** Edits a misbehaving IdP could make before signing: attribute values, namespaces, duplicates, removals. */
const beforeSigning: Record<string, Edit> = {
  "attribute value": (doc, pick) => {
    const element = pickFrom(allElements(doc), pick);
    const attribute = element.attributes.item(pick % Math.max(1, element.attributes.length));
    if (attribute && !attribute.name.startsWith("xmlns")) element.setAttribute(attribute.name, pickFrom(ODD_VALUES, pick >> 3));
  },
  "attribute removed": (doc, pick) => {
    const element = pickFrom(allElements(doc), pick);
    const attribute = element.attributes.item(pick % Math.max(1, element.attributes.length));
    if (attribute && attribute.name !== "ID" && !attribute.name.startsWith("xmlns")) element.removeAttribute(attribute.name);
  },
  "text value": (doc, pick) => {
    const element = pickFrom(
      ["Audience", "Issuer", "NameID", "AttributeValue"].flatMap((n) => named(doc, n)),
      pick,
    );
    element.textContent = pickFrom(ODD_VALUES, pick >> 2);
  },
  "element moved to a foreign namespace": (doc, pick) => {
    const element = pickFrom(allElements(doc).slice(1), pick);
    const copy = doc.createElementNS(FOREIGN, `f:${element.localName}`);
    for (let i = 0; i < element.attributes.length; i++) {
      const a = element.attributes.item(i);
      if (a) copy.setAttribute(a.name, a.value);
    }
    while (element.firstChild) copy.appendChild(element.firstChild);
    element.parentNode?.replaceChild(copy, element);
  },
  "element duplicated": (doc, pick) => {
    const element = pickFrom(allElements(doc).slice(1), pick);
    element.parentNode?.insertBefore(element.cloneNode(true), pick % 2 ? element : element.nextSibling);
  },
  "foreign twin added": (doc, pick) => {
    const element = pickFrom(allElements(doc).slice(2), pick);
    const twin = doc.createElementNS(FOREIGN, `f:${element.localName}`);
    twin.setAttribute("NotOnOrAfter", pickFrom(ODD_VALUES, pick >> 2));
    element.parentNode?.insertBefore(twin, pick % 2 ? element : element.nextSibling);
  },
  "element removed": (doc, pick) => {
    const element = pickFrom(allElements(doc).slice(2), pick);
    element.parentNode?.removeChild(element);
  },
  "nothing changed": () => undefined,
};

/** Edits an attacker makes after signing: whitespace, comments, IDs, references, algorithms, wrapping. */
const afterSigning: Record<string, Edit> = {
  whitespace: (doc, pick) => {
    const element = pickFrom(allElements(doc), pick);
    element.insertBefore(
      doc.createTextNode(pickFrom([" ", "\n", "\t", "\r\n  "], pick >> 2)),
      element.childNodes.item(pick % (element.childNodes.length + 1)),
    );
  },
  comment: (doc, pick) => {
    const element = pickFrom(allElements(doc), pick);
    element.insertBefore(
      doc.createComment(pickFrom(["", "x", "evil"], pick >> 2)),
      element.childNodes.item(pick % (element.childNodes.length + 1)),
    );
  },
  "ID changed or duplicated": (doc, pick) => {
    const element = pickFrom(allElements(doc), pick);
    const name = pickFrom(["ID", "Id", "id", "f:ID"], pick >> 2);
    const value = pickFrom(["_assert1", "_resp1", "_other"], pick >> 4);
    if (name === "f:ID") element.setAttributeNS(FOREIGN, name, value);
    else element.setAttribute(name, value);
  },
  "reference or algorithm changed": (doc, pick) => {
    const targets: Array<[string, string, string[]]> = [
      ["Reference", "URI", ["", "#_assert1", "#_resp1", "_assert1", "#_other", "#x'y"]],
      [
        "Transform",
        "Algorithm",
        [
          "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
          "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
          "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        ],
      ],
      ["DigestMethod", "Algorithm", ["http://www.w3.org/2000/09/xmldsig#sha1", "http://www.w3.org/2001/04/xmlenc#sha512"]],
      [
        "CanonicalizationMethod",
        "Algorithm",
        ["http://www.w3.org/2001/10/xml-exc-c14n#WithComments", "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"],
      ],
      ["SignatureMethod", "Algorithm", ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", "http://www.w3.org/2000/09/xmldsig#rsa-sha1"]],
    ];
    const [localName, attribute, values] = pickFrom(targets, pick);
    const elements = named(doc, localName);
    if (elements.length > 0) pickFrom(elements, pick >> 3).setAttribute(attribute, pickFrom(values, pick >> 5));
  },
  "response attribute changed": (doc, pick) => {
    const response = doc.documentElement as Element;
    response.setAttribute(pickFrom(["Destination", "InResponseTo", "IssueInstant"], pick), pickFrom(ODD_VALUES, pick >> 2));
  },
  "signed element wrapped or copied": (doc, pick) => {
    const signedElements = [...named(doc, "Assertion"), doc.documentElement as Element];
    const original = pickFrom(signedElements, pick);
    const copy = original.cloneNode(true) as Element;
    const places = [...named(doc, "Signature"), ...named(doc, "Status"), doc.documentElement as Element, ...named(doc, "Assertion")];
    const place = pickFrom(places, pick >> 2);
    if (pick % 3 === 0) copy.setAttribute("ID", "_evil");
    if (place !== original && !isInside(place, copy)) place.appendChild(copy);
  },
  "signature moved, copied or removed": (doc, pick) => {
    const signatures = named(doc, "Signature");
    if (signatures.length === 0) return;
    const signature = pickFrom(signatures, pick);
    const target = pickFrom([...named(doc, "Assertion"), doc.documentElement as Element, ...named(doc, "Subject")], pick >> 2);
    if (pick % 3 === 0) signature.parentNode?.removeChild(signature);
    else if (pick % 3 === 1) target.appendChild(signature.cloneNode(true));
    else if (!isInside(target, signature)) target.insertBefore(signature, target.firstChild);
  },
  "namespace prefix rebound": (doc, pick) => {
    const element = pickFrom(allElements(doc), pick);
    element.setAttributeNS("http://www.w3.org/2000/xmlns/", pickFrom(["xmlns:saml", "xmlns:ds", "xmlns:xs", "xmlns"], pick >> 2), FOREIGN);
  },
  "nothing changed": () => undefined,
};

function isInside(node: Element, ancestor: Element): boolean {
  for (let n: Element | null = node; n !== null; n = n.parentNode as Element | null) if (n === ancestor) return true;
  return false;
}

function sign(xml: string, localName: "Assertion" | "Response", prefixList: boolean): string {
  const signature = new SignedXml({ privateKey: signer.privateKeyPem, publicCert: signer.certificatePem });
  signature.signatureAlgorithm = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
  signature.canonicalizationAlgorithm = "http://www.w3.org/2001/10/xml-exc-c14n#";
  signature.addReference({
    xpath: `/*[local-name()='Response']${localName === "Assertion" ? "/*[local-name()='Assertion']" : ""}`,
    transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
    digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    ...(prefixList ? { inclusiveNamespacesPrefixList: ["xs"] } : {}),
  });
  // Where IdPs put it: after the Issuer of the signed element.
  const issuerPath = `/*[local-name()='Response']${localName === "Assertion" ? "/*[local-name()='Assertion']" : ""}/*[local-name()='Issuer']`;
  signature.computeSignature(xml, { location: { reference: issuerPath, action: "after" } });
  return signature.getSignedXml();
}

interface GeneratedCase {
  signing: "assertion" | "response" | "both";
  prefixList: boolean;
  before: Array<[string, number]>;
  after: Array<[string, number]>;
}

function build(c: GeneratedCase): string {
  let doc = parse(responseXml());
  for (const [name, pick] of c.before) beforeSigning[name]?.(doc, pick);
  let xml = serialise(doc);
  try {
    if (c.signing !== "response") xml = sign(xml, "Assertion", c.prefixList);
    if (c.signing !== "assertion") xml = sign(xml, "Response", c.prefixList);
  } catch {
    // An edit removed what the signer needs (the Issuer, the Assertion): post it unsigned.
  }
  doc = parse(xml);
  for (const [name, pick] of c.after) afterSigning[name]?.(doc, pick);
  return Buffer.from(serialise(doc), "utf8").toString("base64");
}

const editsFrom = (edits: Record<string, Edit>, max: number) =>
  fc.array(fc.tuple(fc.constantFrom(...Object.keys(edits)), fc.nat({ max: 1 << 12 })), { maxLength: max });

const generatedCase: fc.Arbitrary<GeneratedCase> = fc.record({
  signing: fc.constantFrom("assertion" as const, "response" as const, "both" as const),
  prefixList: fc.boolean(),
  before: editsFrom(beforeSigning, 2),
  after: editsFrom(afterSigning, 2),
});

describe("the lean verifier never accepts what node-saml plus our rules refuses", () => {
  it("agrees on every fixture of the attack catalogue", async () => {
    for (const attack of samlAttacks) {
      const samlResponse = await attack.build({ idp: catalogueIdp, attackerIdp, sp: SP, email: EMAIL, now: NOW, inResponseTo: "_req1" });
      await assertLeanNoLooserThanStrict(
        samlResponse,
        { idpEntityId: catalogueIdp.entityId, certificates: [catalogueIdp.certificatePem] },
        attack.name,
      );
    }
  });

  it("accepts the unmutated generated responses, like the strict path", async () => {
    for (const signing of ["assertion", "response", "both"] as const) {
      const samlResponse = build({ signing, prefixList: signing === "both", before: [], after: [] });
      const lean = await verifySamlResponse(inputFor(samlResponse, { idpEntityId: IDP_ENTITY_ID, certificates: [signer.certificatePem] }));
      assert.ok(lean.ok, lean.ok ? "" : `${signing}: ${lean.error.code}: ${lean.error.reason}`);
      await assertLeanNoLooserThanStrict(samlResponse, { idpEntityId: IDP_ENTITY_ID, certificates: [signer.certificatePem] }, signing);
    }
  });

  it(`agrees on ${GENERATED_RUNS} generated mutations (seed ${SEED})`, async () => {
    await fc.assert(
      fc.asyncProperty(generatedCase, async (c) => {
        await assertLeanNoLooserThanStrict(
          build(c),
          { idpEntityId: IDP_ENTITY_ID, certificates: [signer.certificatePem] },
          JSON.stringify(c),
        );
      }),
      { seed: SEED, numRuns: GENERATED_RUNS, endOnFailure: true },
    );
    console.log(`differential: ${casesRun} cases compared, ${acceptedByBoth} accepted by both, the rest refused by the lean verifier`);
  });
});
