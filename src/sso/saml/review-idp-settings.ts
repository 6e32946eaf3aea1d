import type { IdpSettings } from "./connection.js";
import type { ConfigureError } from "./configure-connection.js";

// Entra's "App Federation Metadata Url" is a metadata document, not a place to send people's browsers.
const ENTRA_FEDERATION_METADATA = /^https?:\/\/login\.microsoftonline\.com\/[^?#]*\/federationmetadata\//i;
// SHA-1 signature and digest algorithms (XML-DSig); the verifier refuses responses signed with them anyway.
const SHA1_ALGORITHMS = /Algorithm\s*=\s*["'](http:\/\/www\.w3\.org\/2000\/09\/xmldsig#(rsa-)?sha1)["']/i;
const SP_DESCRIPTOR = /<(\w+:)?SPSSODescriptor[\s>]/;

/** Whether a URL typed where the IdP's SSO URL goes is Entra's federation metadata URL. */
export function isEntraFederationMetadataUrl(value: string): boolean {
  return ENTRA_FEDERATION_METADATA.test(value.trim());
}

/**
 * The rules a clinic admin's page adds on top of the operator's: each wrong thing an IdP admin often hands over
 * gets its own sentence. `spEntityId` is ours: metadata naming it is our own metadata, pasted back by mistake.
 */
export function reviewIdpSettings(
  settings: IdpSettings,
  metadataXml: string | null,
  context: { spEntityId: string; now: Date; fields: { entityId: string; ssoUrl: string; certificates: string } },
): ConfigureError | null {
  const { fields } = context;
  // Our own metadata pasted back (it names our entity ID) describes the service provider, not the IdP.
  if (
    settings.idpEntityId === context.spEntityId ||
    (metadataXml !== null && metadataXml.includes(context.spEntityId) && SP_DESCRIPTOR.test(metadataXml))
  ) {
    return {
      field: fields.entityId,
      message: "This is our own metadata (the service provider's), for a different entity: give the identity provider's metadata instead.",
    };
  }
  if (isEntraFederationMetadataUrl(settings.idpSsoUrl)) {
    return { field: fields.ssoUrl, message: entraMetadataUrlMessage() };
  }
  if (metadataXml !== null && SHA1_ALGORITHMS.test(metadataXml)) {
    return {
      field: fields.certificates,
      message:
        "The metadata uses SHA-1 (rsa-sha1 or sha1), which we refuse: set the IdP's signature algorithm to RSA-SHA256 and the digest to SHA-256, then give the metadata again.",
    };
  }
  for (const certificate of settings.certificates) {
    if (Date.parse(certificate.notAfter) <= context.now.getTime()) {
      return {
        field: fields.certificates,
        message: `The certificate "${certificate.subject}" expired on ${certificate.notAfter.slice(0, 10)}: responses signed with it cannot be trusted. Download the IdP's current signing certificate.`,
      };
    }
  }
  return null;
}

export function entraMetadataUrlMessage(): string {
  return 'This is Entra\'s "App Federation Metadata Url", not the SSO URL: paste it under "Metadata URL" instead, or give the "Login URL" here.';
}
