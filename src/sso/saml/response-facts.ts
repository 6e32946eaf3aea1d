import { parseCertificate } from "./certificates.js";
import { decodeAndGuardSamlResponse } from "./pre-parse-guard.js";
import { SAML_ASSERTION_NS, XMLDSIG_NS, attributeOrNull, descendantElements, fullText, isNamed, parseXmlDocument } from "./saml-xml.js";

/** What a test sign-in shows of a response: names and values only, never the signature or the XML. */
export interface ResponseFacts {
  attributes: { name: string; values: string[] }[];
  nameId: string | null;
  nameIdFormat: string | null;
  /** SHA-256 fingerprints of the certificates the message itself names in its KeyInfo (never trusted, only compared). */
  signerFingerprints: string[];
}

const MAX_ATTRIBUTES = 50;
const MAX_VALUES = 10;
const MAX_VALUE_CHARS = 300;

/**
 * Reads the facts a diagnosis names from a posted response, after the same pre-parse guard as the ACS. Callers
 * show attributes only for a response whose signature verified: otherwise they are anyone's words.
 */
export function readResponseFacts(samlResponse: string): ResponseFacts | null {
  const guarded = decodeAndGuardSamlResponse(samlResponse);
  if (!guarded.ok) return null;
  const root = parseXmlDocument(guarded.value)?.documentElement;
  if (!root) return null;
  const attributes = descendantElements(root, (e) => isNamed(e, SAML_ASSERTION_NS, "Attribute"))
    .slice(0, MAX_ATTRIBUTES)
    .map((a) => ({
      name: shorten(attributeOrNull(a, "Name") ?? "(no name)"),
      values: descendantElements(a, (e) => isNamed(e, SAML_ASSERTION_NS, "AttributeValue"))
        .slice(0, MAX_VALUES)
        .map((v) => shorten(fullText(v))),
    }));
  const nameId = descendantElements(root, (e) => isNamed(e, SAML_ASSERTION_NS, "NameID"))[0];
  const signers = new Set<string>();
  for (const element of descendantElements(root, (e) => isNamed(e, XMLDSIG_NS, "X509Certificate"))) {
    const parsed = parseCertificate(fullText(element));
    if (parsed.ok) signers.add(parsed.value.fingerprintSha256);
  }
  return {
    attributes,
    nameId: nameId ? shorten(fullText(nameId)) : null,
    nameIdFormat: nameId ? attributeOrNull(nameId, "Format") : null,
    signerFingerprints: [...signers],
  };
}

/**
 * The Response's InResponseTo as posted (not yet verified): only used to route the answer of a test request to the
 * diagnosis; the signed copy is what the checks then compare it with.
 */
export function readPostedInResponseTo(samlResponse: string): string | null {
  const guarded = decodeAndGuardSamlResponse(samlResponse);
  if (!guarded.ok) return null;
  // Every ACS post asks this before verifying: the root's start tag is read without building the tree. Only when
  // it is not plainly there (IdP-initiated, or unusual markup) does the parser, more lenient, have the last word.
  const value = rootStartTagAttribute(guarded.value, "InResponseTo") ?? parsedRootAttribute(guarded.value, "InResponseTo");
  return value && value.length <= 200 ? value : null;
}

function parsedRootAttribute(xml: string, name: string): string | null {
  const root = parseXmlDocument(xml)?.documentElement;
  return root ? attributeOrNull(root, name) : null;
}

const ELEMENT_NAME = /[^\s/>=]+/y;
// Values with "&" or "<" are left to the parser: entity references need decoding, "<" is not allowed.
const PLAIN_ATTRIBUTE = /\s+([^\s/>=]+)\s*=\s*(?:"([^"&<]*)"|'([^'&<]*)')/y;
const START_TAG_END = /\s*\/?>/y;

/**
 * One attribute of the document element, read from its start tag after the XML declaration, comments and
 * whitespace; null when absent or when anything in the way is not plain (the caller then asks the parser).
 */
function rootStartTagAttribute(xml: string, name: string): string | null {
  let at = 0;
  for (;;) {
    while (at < xml.length && /\s/.test(xml[at]!)) at += 1;
    const skipTo = xml.startsWith("<?", at)
      ? xml.indexOf("?>", at + 2) + 2
      : xml.startsWith("<!--", at)
        ? xml.indexOf("-->", at + 4) + 3
        : at;
    if (skipTo === at) break;
    // An unterminated declaration or comment: indexOf answered -1.
    if (skipTo < at) return null;
    at = skipTo;
  }
  if (xml[at] !== "<") return null;
  ELEMENT_NAME.lastIndex = at + 1;
  if (ELEMENT_NAME.exec(xml) === null) return null;
  at = ELEMENT_NAME.lastIndex;
  const seen = new Set<string>();
  let found: string | null = null;
  for (;;) {
    START_TAG_END.lastIndex = at;
    if (START_TAG_END.exec(xml) !== null) return found;
    PLAIN_ATTRIBUTE.lastIndex = at;
    const attribute = PLAIN_ATTRIBUTE.exec(xml);
    if (attribute === null) return null;
    at = PLAIN_ATTRIBUTE.lastIndex;
    const [, attributeName = "", doubleQuoted, singleQuoted] = attribute;
    // A repeated attribute is not well-formed XML: no answer from the scan.
    if (seen.has(attributeName)) return null;
    seen.add(attributeName);
    if (attributeName === name) found = doubleQuoted ?? singleQuoted ?? null;
  }
}

function shorten(value: string): string {
  const trimmed = value.trim();
  return trimmed.length > MAX_VALUE_CHARS ? `${trimmed.slice(0, MAX_VALUE_CHARS)}…` : trimmed;
}
