import { parseCertificate, type TrustedCertificate } from "./certificates.js";
import type { IdpSettings } from "./connection.js";

/** What differs between the connection and its metadata, in the terms an admin checks against their IdP. */
export interface MetadataDifference {
  entityId: { before: string; after: string } | null;
  ssoUrl: { before: string; after: string } | null;
  binding: { before: string; after: string } | null;
  certificatesAdded: TrustedCertificate[];
  certificatesRemoved: TrustedCertificate[];
}

/** The difference, or null when the metadata says exactly what the connection trusts. */
export function compareIdpSettings(before: IdpSettings, after: IdpSettings): MetadataDifference | null {
  const fingerprints = (s: IdpSettings) => new Set(s.certificates.map((c) => c.fingerprintSha256));
  const beforeCerts = fingerprints(before);
  const afterCerts = fingerprints(after);
  const changed = (a: string, b: string) => (a === b ? null : { before: a, after: b });
  const difference: MetadataDifference = {
    entityId: changed(before.idpEntityId, after.idpEntityId),
    ssoUrl: changed(before.idpSsoUrl, after.idpSsoUrl),
    binding: changed(before.idpSsoBinding, after.idpSsoBinding),
    certificatesAdded: after.certificates.filter((c) => !beforeCerts.has(c.fingerprintSha256)),
    certificatesRemoved: before.certificates.filter((c) => !afterCerts.has(c.fingerprintSha256)),
  };
  const same =
    !difference.entityId &&
    !difference.ssoUrl &&
    !difference.binding &&
    difference.certificatesAdded.length === 0 &&
    difference.certificatesRemoved.length === 0;
  return same ? null : difference;
}

/** One line per difference, for the notice, the email and the audit log. */
export function describeDifference(d: MetadataDifference): string[] {
  const cert = (c: TrustedCertificate) => `${c.subject} (SHA-256 ${c.fingerprintSha256}, expires ${c.notAfter.slice(0, 10)})`;
  return [
    ...(d.entityId ? [`entity ID ${d.entityId.before} → ${d.entityId.after}`] : []),
    ...(d.ssoUrl ? [`SSO URL ${d.ssoUrl.before} → ${d.ssoUrl.after}`] : []),
    ...(d.binding ? [`SSO binding ${d.binding.before} → ${d.binding.after}`] : []),
    ...d.certificatesAdded.map((c) => `certificate added: ${cert(c)}`),
    ...d.certificatesRemoved.map((c) => `certificate removed: ${cert(c)}`),
  ];
}

/** IdP settings as stored in a pending change: the certificates as PEM. */
export function serializeIdpSettings(s: IdpSettings): string {
  return JSON.stringify({ ...s, certificates: s.certificates.map((c) => c.pem) });
}

export function deserializeIdpSettings(json: string): IdpSettings {
  const stored = JSON.parse(json) as Omit<IdpSettings, "certificates"> & { certificates: string[] };
  return {
    idpEntityId: stored.idpEntityId,
    idpSsoUrl: stored.idpSsoUrl,
    idpSsoBinding: stored.idpSsoBinding,
    // Stored only after they were parsed once; one that no longer parses is dropped, never trusted.
    certificates: stored.certificates.flatMap((pem) => {
      const parsed = parseCertificate(pem);
      return parsed.ok ? [parsed.value] : [];
    }),
  };
}
