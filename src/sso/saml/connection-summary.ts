import type { Config } from "../../config.js";
import type { Clinic } from "../../clinics/clinic.js";
import { daysUntilExpiry, isExpiringSoon } from "./certificates.js";
import type { SamlConnection } from "./connection.js";
import { NAMEID_EMAIL, PRESETS } from "./presets.js";
import { serviceProviderUrls } from "./service-provider.js";

/** Everything an IdP admin types in, and the connection's state: the operator API's answer and the setup page's data. */
export function describeSamlConnection(
  config: Pick<Config, "scheme" | "baseDomain" | "publicPort">,
  clinic: Clinic,
  connection: SamlConnection | null,
  now: Date,
) {
  const sp = serviceProviderUrls(config, clinic.subdomain);
  return {
    acsUrl: sp.acsUrl,
    spEntityId: sp.entityId,
    spMetadataUrl: sp.metadataUrl,
    defaultRelayState: sp.defaultRelayState,
    signInPageUrl: sp.signInPageUrl,
    loginUrl: sp.loginUrl,
    nameIdFormat: NAMEID_EMAIL,
    attributeStatements: [{ name: "email", nameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified", value: "user.email" }],
    configured: connection !== null,
    preset: connection?.preset ?? null,
    presetLabel: connection ? PRESETS[connection.preset].label : null,
    idp: connection && {
      entityId: connection.idpEntityId,
      ssoUrl: connection.idpSsoUrl,
      binding: connection.idpSsoBinding,
      source: connection.source,
      certificates: connection.certificates.map((c) => ({
        subject: c.subject,
        fingerprintSha256: c.fingerprintSha256,
        notAfter: c.notAfter,
        daysUntilExpiry: daysUntilExpiry(c, now),
        expiringSoon: isExpiringSoon(c, now),
      })),
    },
    enabled: connection?.enabled ?? false,
    allowIdpInitiated: connection?.allowIdpInitiated ?? true,
    jitProvisioning: connection?.jitProvisioning ?? false,
    enforceSso: connection?.enforceSso ?? false,
    lastSuccessfulSignInAt: connection?.lastSuccessAt ?? null,
  };
}

export type SamlConnectionDescription = ReturnType<typeof describeSamlConnection>;
