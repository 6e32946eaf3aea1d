import { createHash } from "node:crypto";
import type { SamlConnectionTable } from "./connection.table.js";
import { parseCertificate, type TrustedCertificate } from "./certificates.js";
import type { IdpPreset } from "./presets.js";

/** One clinic's trust in its identity provider. */
export interface SamlConnection {
  clinicId: string;
  preset: IdpPreset;
  idpEntityId: string;
  idpSsoUrl: string;
  idpSsoBinding: "redirect" | "post";
  certificates: TrustedCertificate[];
  enabled: boolean;
  allowIdpInitiated: boolean;
  jitProvisioning: boolean;
  enforceSso: boolean;
  source: string;
  lastSuccessAt: string | null;
  /** Settings fingerprint of the last passing test sign-in (settingsFingerprint), null until one passes. */
  testedSettings: string | null;
  updatedAt: string;
}

export interface SamlConnectionFlags {
  enabled: boolean;
  allowIdpInitiated: boolean;
  jitProvisioning: boolean;
  enforceSso: boolean;
}

/** What an operator or admin hands us about the IdP, however it arrived (form, metadata XML or URL). */
export interface IdpSettings {
  idpEntityId: string;
  idpSsoUrl: string;
  idpSsoBinding: "redirect" | "post";
  certificates: TrustedCertificate[];
}

export function rowToSamlConnection(row: SamlConnectionTable): SamlConnection {
  const pems = JSON.parse(row.idp_certificates) as string[];
  return {
    clinicId: row.clinic_id,
    preset: row.preset,
    idpEntityId: row.idp_entity_id,
    idpSsoUrl: row.idp_sso_url,
    idpSsoBinding: row.idp_sso_binding,
    // Stored certificates were parsed before they were saved; one that no longer parses is dropped, not trusted.
    certificates: pems.flatMap((pem) => {
      const parsed = parseCertificate(pem);
      return parsed.ok ? [parsed.value] : [];
    }),
    enabled: Boolean(row.enabled),
    allowIdpInitiated: Boolean(row.allow_idp_initiated),
    jitProvisioning: Boolean(row.jit_provisioning),
    enforceSso: Boolean(row.enforce_sso),
    source: row.source,
    lastSuccessAt: row.last_success_at,
    testedSettings: row.tested_settings ?? null,
    updatedAt: row.updated_at,
  };
}

/**
 * Whether a sign-in that worked with `before` still proves `after` works: same Issuer, SSO URL and binding, and
 * every certificate trusted before is still trusted. Adding a certificate (the start of a rollover) keeps the
 * proof, since every response that verified before still verifies; a new IdP, URL or replaced certificate does not.
 */
export function keepsProvenTrust(before: IdpSettings, after: IdpSettings): boolean {
  const trusted = new Set(after.certificates.map((c) => c.fingerprintSha256));
  return (
    before.idpEntityId === after.idpEntityId &&
    before.idpSsoUrl === after.idpSsoUrl &&
    before.idpSsoBinding === after.idpSsoBinding &&
    before.certificates.every((c) => trusted.has(c.fingerprintSha256))
  );
}

/**
 * One value for everything a test sign-in proves about a connection: the IdP's Issuer, SSO URL and binding, the
 * trusted certificates and the preset (which decides the attribute names read). Any change makes a new value.
 */
export function settingsFingerprint(connection: IdpSettings & { preset: IdpPreset }): string {
  const parts = [
    connection.preset,
    connection.idpEntityId,
    connection.idpSsoUrl,
    connection.idpSsoBinding,
    ...connection.certificates.map((c) => c.fingerprintSha256),
  ];
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}
