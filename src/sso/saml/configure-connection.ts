import { recordAuditEvent } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { err, ok, type Result } from "../../result.js";
import type { Actor } from "../../audit/audit.js";
import { parseCertificate, type TrustedCertificate } from "./certificates.js";
import { settingsFingerprint, type IdpSettings, type SamlConnection, type SamlConnectionFlags } from "./connection.js";
import { isEnforcementPremature } from "./change-flags.js";
import { findSamlConnection, saveSamlConnection } from "./connection.queries.js";
import { fetchIdpMetadata, type FetchPolicy } from "./fetch-metadata.js";
import { MAX_TRUSTED_CERTIFICATES, parseIdpMetadata } from "./idp-metadata.js";
import type { IdpPreset } from "./presets.js";

/** The three ways to describe the IdP: its metadata pasted, its metadata URL, or SSO URL + certificate by hand. */
export type IdpSource =
  | { metadataXml: string }
  | { metadataUrl: string }
  | { idpEntityId: string; idpSsoUrl: string; idpSsoBinding: "redirect" | "post"; idpCertificates: string[] };

export interface ConfigureSamlInput {
  source: IdpSource;
  /** Absent: the connection keeps its preset ("generic" for a new connection). */
  preset?: IdpPreset | undefined;
  flags: Partial<SamlConnectionFlags>;
  /** Extra rules of the caller, judged on the settings read (and the metadata text, when there is one) before saving. */
  review?: (settings: IdpSettings, metadataXml: string | null) => ConfigureError | null;
  /**
   * The clinic admin's page: the connection stays on only if the settings are unchanged or a test sign-in passed with
   * them; a new or different IdP side is saved switched off, to be tested first.
   */
  keepEnabledOnlyIfTested?: boolean;
}

/** What was wrong, in a sentence the operator or clinic admin can act on. */
export interface ConfigureError {
  field: string;
  message: string;
}

export async function configureSamlConnection(
  db: Db,
  clinic: Clinic,
  input: ConfigureSamlInput,
  policy: FetchPolicy,
  by: Actor,
  now: Date,
): Promise<Result<SamlConnection, "enforce_before_first_sign_in"> | { ok: false; error: ConfigureError }> {
  const read = await readIdpSettings(input.source, policy);
  if (!read.ok) return read;
  const settings = ok(read.value.settings);
  const reviewed = input.review?.(settings.value, read.value.metadataXml) ?? null;
  if (reviewed) return { ok: false, error: reviewed };
  // Whatever the source, people's browsers are sent to this URL: it must be https (http only in development).
  const ssoUrl = checkSsoUrl(settings.value.idpSsoUrl, policy);
  if (!ssoUrl.ok)
    return {
      ok: false,
      error: {
        field: "idpSsoUrl" in input.source ? "idpSsoUrl" : Object.keys(input.source)[0]!,
        message: `the IdP SSO URL ${ssoUrl.error}`,
      },
    };
  const sourceLabel = "metadataUrl" in input.source ? input.source.metadataUrl : "metadataXml" in input.source ? "metadata_xml" : "manual";
  const connection = await db.transaction().execute(async (trx) => {
    const existing = await findSamlConnection(trx, clinic.id);
    // Judged against the settings as they will be saved: a new IdP cannot inherit the old one's success.
    if (isEnforcementPremature(existing, input.flags, settings.value)) return null;
    const preset = input.preset ?? existing?.preset ?? "generic";
    const flags = input.keepEnabledOnlyIfTested ? { ...input.flags, enabled: staysEnabled(existing, settings.value, preset) } : input.flags;
    const saved = await saveSamlConnection(trx, clinic.id, { ...settings.value, preset, source: sourceLabel, flags }, now);
    await recordAuditEvent(
      trx,
      {
        ...by,
        clinicId: clinic.id,
        action: "sso.saml.configure",
        target: saved.idpEntityId,
        outcome: "success",
        detail: { source: sourceLabel, preset, certificates: saved.certificates.map((c) => c.fingerprintSha256).join(" ") },
      },
      now,
    );
    return saved;
  });
  return connection ? ok(connection) : err("enforce_before_first_sign_in");
}

// Saving never turns sign-in on by itself; unchanged settings, or settings a test sign-in proved, keep it as it was.
function staysEnabled(existing: SamlConnection | null, settings: IdpSettings, preset: IdpPreset): boolean {
  if (!existing?.enabled) return false;
  const next = settingsFingerprint({ ...settings, preset });
  return next === settingsFingerprint(existing) || next === existing.testedSettings;
}

async function readIdpSettings(
  source: IdpSource,
  policy: FetchPolicy,
): Promise<Result<{ settings: IdpSettings; metadataXml: string | null }, never> | { ok: false; error: ConfigureError }> {
  if ("metadataXml" in source) {
    const parsed = parseIdpMetadata(source.metadataXml);
    return parsed.ok
      ? ok({ settings: parsed.value, metadataXml: source.metadataXml })
      : { ok: false, error: { field: "metadataXml", message: parsed.error } };
  }
  if ("metadataUrl" in source) {
    const fetched = await fetchIdpMetadata(source.metadataUrl, policy);
    if (!fetched.ok) return { ok: false, error: { field: "metadataUrl", message: fetched.error } };
    const parsed = parseIdpMetadata(fetched.value);
    return parsed.ok
      ? ok({ settings: parsed.value, metadataXml: fetched.value })
      : { ok: false, error: { field: "metadataUrl", message: parsed.error } };
  }
  const ssoUrl = checkSsoUrl(source.idpSsoUrl, policy);
  if (!ssoUrl.ok) return { ok: false, error: { field: "idpSsoUrl", message: ssoUrl.error } };
  const certificates: TrustedCertificate[] = [];
  for (const [index, pem] of source.idpCertificates.entries()) {
    const parsed = parseCertificate(pem);
    if (!parsed.ok) return { ok: false, error: { field: `idpCertificates.${index}`, message: parsed.error } };
    certificates.push(parsed.value);
  }
  if (certificates.length === 0 || certificates.length > MAX_TRUSTED_CERTIFICATES) {
    return { ok: false, error: { field: "idpCertificates", message: `give one or two certificates (two during a rollover)` } };
  }
  return ok({
    settings: { idpEntityId: source.idpEntityId.trim(), idpSsoUrl: ssoUrl.value, idpSsoBinding: source.idpSsoBinding, certificates },
    metadataXml: null,
  });
}

/** The IdP's SSO URL: https (http only in development), no credentials, no fragment. */
export function checkSsoUrl(value: string, policy: FetchPolicy): Result<string, string> {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return err("is not a valid URL");
  }
  if (url.protocol !== "https:" && !(policy.allowInsecure && url.protocol === "http:")) return err("must start with https://");
  if (url.username || url.password) return err("must not contain a user name or password");
  if (url.hash) return err("must not contain a #fragment");
  return ok(url.toString());
}
