import type { Element } from "@xmldom/xmldom";
import { quoteValue, samlFailure, type SamlResult } from "./failure.js";
import {
  SAML_ASSERTION_NS,
  attributeOrNull,
  childElements,
  containsCommentOrInstruction,
  descendantElements,
  firstChildElement,
  fullText,
} from "./saml-xml.js";

const LOOKS_LIKE_AN_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_EMAIL_LENGTH = 254;

export interface AttributeNames {
  email: string[];
  firstName: string[];
  lastName: string[];
}

export interface AssertionIdentity {
  nameId: string;
  nameIdFormat: string | null;
  email: string;
  firstName: string | null;
  lastName: string | null;
}

// The elements whose text we read. Canonicalisation drops comments before signing, so a comment can be
// slipped into a signed value ("user@evil.com<!---->.example.com"); a reader that stops at the comment
// would see another user. No IdP puts comments there, so any is refused.
const VALUE_ELEMENTS = new Set(["Issuer", "NameID", "Audience", "AttributeValue"]);

/** Refuses a comment or processing instruction inside any value-bearing SAML element of the posted document. */
export function checkNoCommentInValues(postedResponse: Element): SamlResult<null> {
  const values = descendantElements(postedResponse, (e) => e.namespaceURI === SAML_ASSERTION_NS && VALUE_ELEMENTS.has(e.localName ?? ""));
  const tampered = values.find(containsCommentOrInstruction);
  if (tampered === undefined) return { ok: true, value: null };
  return samlFailure(
    "comment_in_value",
    `The ${tampered.localName} element contains an XML comment or processing instruction; refused because a reader stopping at it would see a truncated value (comment truncation attack)`,
  );
}

/** NameID, email and names, read from the verified assertion. */
export function readIdentity(assertion: Element, attributeNames: AttributeNames): SamlResult<AssertionIdentity> {
  const subject = firstChildElement(assertion, SAML_ASSERTION_NS, "Subject");
  const nameIdElement = subject ? firstChildElement(subject, SAML_ASSERTION_NS, "NameID") : null;
  if (!nameIdElement) return samlFailure("malformed_response", "The assertion has no Subject NameID");
  // Whole text content: every text node of the signed NameID, never just the first one.
  const nameId = fullText(nameIdElement);
  const nameIdFormat = attributeOrNull(nameIdElement, "Format");
  const attributes = readAttributes(assertion);
  const email = chooseEmail(nameId, nameIdFormat, attributes, attributeNames.email);
  if (!email.ok) return email;
  return {
    ok: true,
    value: {
      nameId,
      nameIdFormat,
      email: email.value,
      firstName: firstPresentValue(attributes, attributeNames.firstName),
      lastName: firstPresentValue(attributes, attributeNames.lastName),
    },
  };
}

function chooseEmail(
  nameId: string,
  nameIdFormat: string | null,
  attributes: Map<string, string[]>,
  emailAttributeNames: string[],
): SamlResult<string> {
  // Okta (EmailAddress format) and Entra (NameID = user.mail) send the address as NameID; Google and
  // Auth0 send it unspecified but still as an address. Even with the emailAddress format the value must
  // look like an address: an empty user.mail must fall through to the attributes, not become a login.
  if (looksLikeAnAddress(nameId)) return { ok: true, value: normaliseEmail(nameId) };
  for (const name of emailAttributeNames) {
    const value = firstNonEmpty(attributes.get(name));
    if (value !== null && looksLikeAnAddress(value)) return { ok: true, value: normaliseEmail(value) };
  }
  return samlFailure(
    "no_email",
    `No email address in the assertion: NameID ${quoteValue(nameId)} (format ${quoteValue(nameIdFormat)}) is not an address, and none of the attributes ${emailAttributeNames.map((n) => quoteValue(n)).join(", ")} carries one (Entra: users without a mailbox have an empty user.mail; map user.userprincipalname instead)`,
  );
}

function readAttributes(assertion: Element): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (const statement of childElements(assertion, SAML_ASSERTION_NS, "AttributeStatement")) {
    for (const attribute of childElements(statement, SAML_ASSERTION_NS, "Attribute")) {
      const name = attributeOrNull(attribute, "Name");
      if (name === null || values.has(name)) continue;
      const texts = childElements(attribute, SAML_ASSERTION_NS, "AttributeValue").map(fullText);
      values.set(name, texts);
    }
  }
  return values;
}

function firstPresentValue(attributes: Map<string, string[]>, names: string[]): string | null {
  for (const name of names) {
    const value = firstNonEmpty(attributes.get(name));
    if (value !== null) return value;
  }
  return null;
}

function firstNonEmpty(values: string[] | undefined): string | null {
  const value = values?.map((v) => v.trim()).find((v) => v.length > 0);
  return value ?? null;
}

function looksLikeAnAddress(value: string): boolean {
  const trimmed = value.trim();
  return trimmed.length <= MAX_EMAIL_LENGTH && LOOKS_LIKE_AN_ADDRESS.test(trimmed);
}

function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}
