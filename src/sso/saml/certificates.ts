import { X509Certificate } from "node:crypto";
import { err, ok, type Result } from "../../result.js";

export interface TrustedCertificate {
  pem: string;
  subject: string;
  fingerprintSha256: string;
  notAfter: string;
}

// A certificate this close to expiry is flagged on the setup page and in the API.
export const EXPIRY_WARNING_DAYS = 30;

// Each connection is read on every sign-in start and ACS post, and X.509 parsing costs ~0.5 ms: a certificate read
// once is remembered by its exact text (the result depends on nothing else), up to this many.
const MAX_REMEMBERED_CERTIFICATES = 512;
const readCertificates = new Map<string, Readonly<TrustedCertificate>>();

/**
 * Reads a certificate as an IdP admin hands it over: PEM (Okta's .cert download), or the bare base64 DER
 * that metadata and Entra's "Certificate (Base64)" contain, with or without line breaks.
 */
export function parseCertificate(input: string): Result<TrustedCertificate, string> {
  const remembered = readCertificates.get(input);
  if (remembered !== undefined) return ok({ ...remembered });
  const parsed = readCertificate(input);
  if (parsed.ok) {
    if (readCertificates.size >= MAX_REMEMBERED_CERTIFICATES) readCertificates.delete(readCertificates.keys().next().value as string);
    readCertificates.set(input, Object.freeze({ ...parsed.value }));
  }
  return parsed;
}

function readCertificate(input: string): Result<TrustedCertificate, string> {
  const text = input.trim();
  if (text.length === 0) return err("the certificate is empty");
  if (text.length > 20_000) return err("the certificate is longer than any signing certificate (20,000 characters)");
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    return err("this is a private key, not a certificate: send only the IdP's public X.509 certificate, and replace the key you exposed");
  }
  const pemBody =
    /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(text)?.[1] ?? (text.includes("-----") ? null : text);
  if (pemBody === null) return err("the text is not a PEM certificate (expected -----BEGIN CERTIFICATE-----)");
  const base64 = pemBody.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return err("the certificate is not valid base64");
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(Buffer.from(base64, "base64"));
  } catch {
    return err("the certificate could not be read as X.509 (is the file complete?)");
  }
  const lines = base64.match(/.{1,64}/g) ?? [];
  return ok({
    pem: `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`,
    subject: certificate.subject.replace(/\n/g, ", "),
    fingerprintSha256: certificate.fingerprint256,
    notAfter: new Date(certificate.validTo).toISOString(),
  });
}

export function daysUntilExpiry(certificate: TrustedCertificate, now: Date): number {
  return Math.floor((new Date(certificate.notAfter).getTime() - now.getTime()) / 86_400_000);
}

export function isExpiringSoon(certificate: TrustedCertificate, now: Date): boolean {
  return daysUntilExpiry(certificate, now) < EXPIRY_WARNING_DAYS;
}
