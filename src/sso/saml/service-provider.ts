import { generateServiceProviderMetadata } from "@node-saml/node-saml";
import type { Config } from "../../config.js";
import { clinicOrigin } from "../../hosts.js";
import { NAMEID_EMAIL } from "./presets.js";

/** Our side of one clinic's SAML connection: every value the clinic's IdP admin types in. */
export interface ServiceProviderUrls {
  entityId: string;
  acsUrl: string;
  metadataUrl: string;
  loginUrl: string;
  signInPageUrl: string;
  /** Where IdP-initiated sign-ins land: the clinic dashboard. */
  defaultRelayState: string;
}

export function serviceProviderUrls(config: Pick<Config, "scheme" | "baseDomain" | "publicPort">, subdomain: string): ServiceProviderUrls {
  const origin = clinicOrigin(config, subdomain);
  return {
    entityId: `${origin}/saml/metadata`,
    acsUrl: `${origin}/saml/acs`,
    metadataUrl: `${origin}/saml/metadata`,
    loginUrl: `${origin}/saml/login`,
    signInPageUrl: `${origin}/sign-in`,
    defaultRelayState: `${origin}/dashboard`,
  };
}

/** SAML 2.0 SP metadata for the clinic's IdP admin to upload: POST ACS, email NameID, signed assertions wanted. */
export function serviceProviderMetadata(sp: ServiceProviderUrls): string {
  return generateServiceProviderMetadata({
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    // The help article sets Name ID format EmailAddress; we never encrypt or sign requests, so no keys are listed.
    identifierFormat: NAMEID_EMAIL,
    wantAssertionsSigned: true,
  });
}
