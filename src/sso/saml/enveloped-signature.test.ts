import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { DOMParser, XMLSerializer, type Element } from "@xmldom/xmldom";
import { generate } from "selfsigned";
import { SignedXml } from "xml-crypto";
import { indexDocument, verifyEnvelopedSignature } from "./enveloped-signature.js";

const ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion";
let signer: { certificatePem: string; privateKeyPem: string };

before(async () => {
  const keys = await generate([{ name: "commonName", value: "idp.enveloped.test" }], { keySize: 2048, algorithm: "sha256" });
  signer = { certificatePem: keys.cert, privateKeyPem: keys.private };
});

/** An assertion using the xs prefix that only its parent declares, signed with xs as an inclusive prefix (as Okta signs). */
function signedResponse(): string {
  const xml =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="_resp1">` +
    `<saml:Assertion xmlns:saml="${ASSERTION}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_assert1">` +
    `<saml:Issuer>https://idp.enveloped.test</saml:Issuer>` +
    `<saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue xsi:type="xs:string">dana@clinic.example</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>` +
    `</saml:Assertion></samlp:Response>`;
  const signature = new SignedXml({ privateKey: signer.privateKeyPem, publicCert: signer.certificatePem });
  signature.signatureAlgorithm = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
  signature.canonicalizationAlgorithm = "http://www.w3.org/2001/10/xml-exc-c14n#";
  signature.addReference({
    xpath: "/*[local-name()='Response']/*[local-name()='Assertion']",
    transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
    digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
    inclusiveNamespacesPrefixList: ["xs"],
  });
  signature.computeSignature(xml, {
    location: { reference: "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Issuer']", action: "after" },
  });
  return signature.getSignedXml();
}

describe("the enveloped signature check", () => {
  it("leaves the parsed document as it was, the signature in place and no namespace declared, and verifies again", () => {
    const doc = new DOMParser().parseFromString(signedResponse(), "text/xml");
    const asParsed = new XMLSerializer().serializeToString(doc);
    const assertion = doc.getElementsByTagNameNS(ASSERTION, "Assertion").item(0) as Element;
    const signature = () => doc.getElementsByTagNameNS("http://www.w3.org/2000/09/xmldsig#", "Signature").item(0) as Element;
    const index = indexDocument(doc);

    assert.deepEqual(verifyEnvelopedSignature(signature(), assertion, [signer.certificatePem], index), { ok: true, value: null });
    assert.equal(new XMLSerializer().serializeToString(doc), asParsed);
    assert.equal(signature().parentNode, assertion);
    assert.deepEqual(verifyEnvelopedSignature(signature(), assertion, [signer.certificatePem], index), { ok: true, value: null });
  });
});
