import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readPostedInResponseTo } from "./response-facts.js";

const posted = (xml: string) => Buffer.from(xml, "utf8").toString("base64");
const RESPONSE_OPEN = '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0"';

describe("the InResponseTo of a posted response, read before verification", () => {
  test("is read from the root's start tag after the declaration, comments and whitespace", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<!-- IdP build 7 -->\n${RESPONSE_OPEN} InResponseTo='_abc123'><x/></samlp:Response>`;
    assert.equal(readPostedInResponseTo(posted(xml)), "_abc123");
  });

  test("is decoded by the parser when the value holds an entity reference", () => {
    assert.equal(readPostedInResponseTo(posted(`${RESPONSE_OPEN} InResponseTo="&#95;abc"/>`)), "_abc");
  });

  test("is the root's own, never a descendant's, and null when the root has none (IdP-initiated)", () => {
    const xml = `${RESPONSE_OPEN}><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" InResponseTo="_inner"/></samlp:Response>`;
    assert.equal(readPostedInResponseTo(posted(xml)), null);
  });

  test("is null for a repeated attribute, a value past 200 characters, or text that is not XML", () => {
    assert.equal(readPostedInResponseTo(posted(`${RESPONSE_OPEN} InResponseTo="_a" InResponseTo="_b"/>`)), null);
    assert.equal(readPostedInResponseTo(posted(`${RESPONSE_OPEN} InResponseTo="_${"a".repeat(200)}"/>`)), null);
    assert.equal(readPostedInResponseTo(posted("not xml at all")), null);
  });
});
