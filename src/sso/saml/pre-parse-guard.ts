import { samlFailure, type SamlResult } from "./failure.js";

/** Largest decoded SAMLResponse we read. Real responses are 4–30 KiB; 256 KiB leaves room for big groups claims. */
export const MAX_DECODED_RESPONSE_BYTES = 256 * 1024;

/** Deepest element nesting we let a parser see. A real response nests about 10 deep. */
export const MAX_ELEMENT_DEPTH = 64;

const MAX_ENCODED_CHARS = Math.ceil(MAX_DECODED_RESPONSE_BYTES / 3) * 4;
// Browsers post the field as one line, some IdPs wrap it at 64 or 76 columns: allow for the line breaks.
const MAX_POSTED_CHARS = MAX_ENCODED_CHARS * 2;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// C0 controls other than tab, LF and CR are not XML characters; NULs also betray UTF-16, which we refuse.
const NON_XML_CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/;
// No SAML message needs a DTD; refusing any DOCTYPE or ENTITY rules out XXE and entity expansion
// before a parser (ours, node-saml's xmldom, or its xml2js/sax) ever sees the text.
const DTD_MARKUP = /<!DOCTYPE|<!ENTITY/i;

/**
 * Cheap checks on the posted field before any XML parser runs: size, base64, text, no DTD, bounded nesting.
 * Every step is linear in the input, so hostile input is refused in milliseconds.
 */
export function decodeAndGuardSamlResponse(samlResponse: string): SamlResult<string> {
  if (samlResponse.length > MAX_POSTED_CHARS) {
    return tooLarge(`the posted field is ${samlResponse.length} characters long`);
  }
  const base64 = samlResponse.replace(/\s+/g, "");
  if (base64.length === 0) return samlFailure("malformed_response", "SAMLResponse is empty");
  const decodedBytes = decodedLengthOf(base64);
  if (decodedBytes > MAX_DECODED_RESPONSE_BYTES) return tooLarge(`it decodes to ${decodedBytes} bytes`);
  if (base64.length % 4 !== 0 || !BASE64.test(base64)) {
    return samlFailure("malformed_response", "SAMLResponse is not valid base64");
  }
  const text = decodeUtf8(Buffer.from(base64, "base64"));
  if (text === null) return samlFailure("malformed_response", "SAMLResponse does not decode to UTF-8 text");
  return guardXmlText(text);
}

/** The checks on decoded text (control characters, XML start, no DTD, bounded nesting); also guards IdP metadata. */
export function guardXmlText(text: string): SamlResult<string> {
  const xml = text.replace(/^\uFEFF/, "");
  if (NON_XML_CONTROL_CHARACTER.test(xml)) {
    return samlFailure("malformed_response", "SAMLResponse contains control characters that XML does not allow");
  }
  if (!xml.trimStart().startsWith("<")) {
    return samlFailure("malformed_response", "SAMLResponse does not decode to an XML document");
  }
  if (DTD_MARKUP.test(xml)) {
    return samlFailure(
      "doctype_forbidden",
      "SAMLResponse contains a DOCTYPE or ENTITY declaration; DTDs are refused (XXE and entity expansion)",
    );
  }
  const depth = deepestElementNesting(xml, MAX_ELEMENT_DEPTH);
  if (depth > MAX_ELEMENT_DEPTH) {
    return samlFailure("nesting_too_deep", `SAMLResponse nests elements deeper than ${MAX_ELEMENT_DEPTH} levels; refused before parsing`);
  }
  return { ok: true, value: xml };
}

function tooLarge(detail: string) {
  return samlFailure("response_too_large", `SAMLResponse is larger than the ${MAX_DECODED_RESPONSE_BYTES}-byte limit: ${detail}`);
}

function decodedLengthOf(base64: string): number {
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  return Math.floor((base64.length * 3) / 4) - padding;
}

function decodeUtf8(bytes: Buffer): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Counts element nesting in one pass without building a tree, stopping as soon as `limit` is passed.
 * Comments, CDATA, processing instructions and quoted attribute values are skipped, so a `<` or `>`
 * inside them does not count. Unterminated constructs end the scan: the parser will refuse them.
 */
export function deepestElementNesting(xml: string, limit: number): number {
  let deepest = 0;
  let depth = 0;
  let i = 0;
  while (i < xml.length) {
    const open = xml.indexOf("<", i);
    if (open === -1) break;
    const skipTo = endOfNonElementMarkup(xml, open);
    if (skipTo !== null) {
      if (skipTo === -1) break;
      i = skipTo;
      continue;
    }
    if (xml.charCodeAt(open + 1) === SLASH) {
      const close = xml.indexOf(">", open + 2);
      if (close === -1) break;
      depth -= 1;
      i = close + 1;
      continue;
    }
    const end = endOfStartTag(xml, open + 1);
    if (end === -1) break;
    if (xml.charCodeAt(end - 1) !== SLASH) {
      depth += 1;
      if (depth > deepest) deepest = depth;
      if (deepest > limit) return deepest;
    }
    i = end + 1;
  }
  return deepest;
}

const SLASH = 0x2f;
const GREATER_THAN = 0x3e;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

/** For `<!--`, `<![CDATA[`, `<?` and other `<!` markup: the index after it (-1 if unterminated); else null. */
function endOfNonElementMarkup(xml: string, open: number): number | null {
  const terminators: Array<[string, string]> = [
    ["<!--", "-->"],
    ["<![CDATA[", "]]>"],
    ["<?", "?>"],
    ["<!", ">"],
  ];
  for (const [start, end] of terminators) {
    if (xml.startsWith(start, open)) {
      const at = xml.indexOf(end, open + start.length);
      return at === -1 ? -1 : at + end.length;
    }
  }
  return null;
}

/** Index of the `>` closing a start tag, ignoring `>` inside quoted attribute values; -1 if none. */
function endOfStartTag(xml: string, from: number): number {
  let quote = 0;
  for (let j = from; j < xml.length; j++) {
    const c = xml.charCodeAt(j);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      quote = c;
    } else if (c === GREATER_THAN) {
      return j;
    }
  }
  return -1;
}
