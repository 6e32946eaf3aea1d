import { X509Certificate } from "node:crypto";
import { err, ok, type Result } from "../../result.js";

// A signing certificate is 1–2 KB; 20 KB leaves room for a long chain pasted by mistake, not for anything else.
export const MAX_CERTIFICATE_FILE_BYTES = 20_000;

const NOT_A_CERTIFICATE =
  "this file is not a certificate: choose the X.509 certificate file your identity provider offers (.cer, .cert or .pem)";
const PRIVATE_KEY_REFUSAL =
  "holds a private key. Never upload a private key, here or anywhere: upload only your identity provider's public certificate (a .cer, .cert or .pem file), and ask whoever made this file to replace the key";

/**
 * Reads an uploaded certificate file into the text the certificate checks take: PEM or bare base64 as it is,
 * DER (a binary .cer) converted to PEM. A PKCS#12 (.pfx/.p12) or a private key is refused, never read further.
 */
export function readCertificateFile(bytes: Uint8Array): Result<string, string> {
  if (bytes.length === 0) return err("the file is empty");
  if (bytes.length > MAX_CERTIFICATE_FILE_BYTES) return err("the file is larger than any certificate (20 KB)");
  if (isPkcs12(bytes)) return err(`this is a PKCS#12 (.pfx or .p12) file: it ${PRIVATE_KEY_REFUSAL}`);
  if (isPrivateKeyDer(bytes)) return err(`this file ${PRIVATE_KEY_REFUSAL}`);
  const text = asPlainText(bytes);
  if (text !== null) {
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) return err(`this file ${PRIVATE_KEY_REFUSAL}`);
    // PEM or bare base64 goes on to the certificate checks; other text (a note, a web page) is no certificate file.
    if (text.includes("-----BEGIN CERTIFICATE-----") || /^[A-Za-z0-9+/=\s]+$/.test(text)) return ok(text);
    return err(NOT_A_CERTIFICATE);
  }
  try {
    // DER: X509Certificate reads the binary form and writes the PEM every other check takes.
    return ok(new X509Certificate(Buffer.from(bytes)).toString());
  } catch {
    return err(NOT_A_CERTIFICATE);
  }
}

/** Reads an uploaded metadata file as text; the metadata checks (well-formed, an IdP's, SHA-256) come after. */
export function readMetadataFile(bytes: Uint8Array, maxBytes: number): Result<string, string> {
  if (bytes.length === 0) return err("the file is empty");
  if (bytes.length > maxBytes) return err(`the file is larger than metadata can be (${Math.round(maxBytes / 1024)} KB)`);
  if (isPkcs12(bytes) || isPrivateKeyDer(bytes)) return err(`this is not metadata: it ${PRIVATE_KEY_REFUSAL}`);
  const text = asPlainText(bytes);
  const start = text?.trimStart() ?? "";
  if (text === null || !start.startsWith("<")) {
    if (/-----BEGIN CERTIFICATE-----/.test(start) || (text === null && looksLikeDer(bytes)))
      return err("this is a certificate, not metadata: choose the SSO URL and certificate way below, or upload the metadata file");
    return err("this file is not XML: the metadata file your identity provider offers is text that starts with <");
  }
  return ok(text);
}

// Entra's metadata download starts with a UTF-8 byte order mark; anything else non-text is a binary file.
function asPlainText(bytes: Uint8Array): string | null {
  const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body);
  } catch {
    return null;
  }
  return /[\u0000-\u0008\u000e-\u001f]/.test(text) ? null : text;
}

function looksLikeDer(bytes: Uint8Array): boolean {
  return bytes[0] === 0x30 && (bytes[1] ?? 0) >= 0x80;
}

/** Where the content of the DER SEQUENCE that starts the bytes begins, or -1 when it is not one. */
function sequenceContentStart(bytes: Uint8Array): number {
  if (bytes[0] !== 0x30 || bytes.length < 2) return -1;
  const first = bytes[1]!;
  return first < 0x80 ? 2 : first <= 0x84 ? 2 + (first & 0x7f) : -1;
}

const PKCS7_OID_PREFIX = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07];

// PFX ::= SEQUENCE { version INTEGER (3), authSafe ContentInfo { OID pkcs7-data or signedData, … }, … } (RFC 7292).
function isPkcs12(bytes: Uint8Array): boolean {
  const at = sequenceContentStart(bytes);
  if (at < 0 || bytes[at] !== 0x02 || bytes[at + 1] !== 0x01 || bytes[at + 2] !== 0x03) return false;
  const inner = sequenceContentStart(bytes.subarray(at + 3));
  return inner >= 0 && PKCS7_OID_PREFIX.every((b, i) => bytes[at + 3 + inner + i] === b);
}

// PKCS#8, PKCS#1 and SEC1 private keys start with a version INTEGER 0 or 1; a certificate starts with a SEQUENCE.
function isPrivateKeyDer(bytes: Uint8Array): boolean {
  const at = sequenceContentStart(bytes);
  return at >= 0 && bytes[at] === 0x02 && bytes[at + 1] === 0x01 && (bytes[at + 2] === 0x00 || bytes[at + 2] === 0x01);
}
