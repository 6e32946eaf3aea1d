export type IdpPreset = "okta" | "entra" | "auth0" | "google" | "generic";

export const IDP_PRESETS: readonly IdpPreset[] = ["okta", "entra", "auth0", "google", "generic"];

const EMAILADDRESS_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress";
const GIVENNAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname";
const SURNAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname";

export const NAMEID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
export const NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

export interface PresetSettings {
  label: string;
  /** Attribute names tried in order, after a NameID that is an email address. */
  attributeNames: { email: string[]; firstName: string[]; lastName: string[] };
  /**
   * NameIDPolicy Format of our AuthnRequest. Okta answers an error when it differs from the app's Name ID format,
   * so it is sent only where our setup steps make the IdP use EmailAddress; elsewhere "unspecified".
   */
  requestedNameIdFormat: string;
}

const common = {
  email: ["email", "mail", EMAILADDRESS_CLAIM],
  firstName: ["firstName", "given_name", "givenName", GIVENNAME_CLAIM],
  lastName: ["lastName", "family_name", "sn", "surname", SURNAME_CLAIM],
};

export const PRESETS: Record<IdpPreset, PresetSettings> = {
  okta: { label: "Okta", attributeNames: common, requestedNameIdFormat: NAMEID_EMAIL },
  // Entra sends claim URIs by default; user.mail is empty for users without a mailbox, so admins map the UPN there.
  entra: {
    label: "Microsoft Entra ID",
    attributeNames: {
      ...common,
      email: [EMAILADDRESS_CLAIM, "email", "mail", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"],
    },
    requestedNameIdFormat: NAMEID_UNSPECIFIED,
  },
  // Auth0 prefixes unmapped claims with http://schema.auth0.com/ unless mapUnknownClaimsAsIs is on.
  auth0: {
    label: "Auth0",
    attributeNames: {
      email: [EMAILADDRESS_CLAIM, "email", "http://schema.auth0.com/email"],
      firstName: [GIVENNAME_CLAIM, "given_name", "http://schema.auth0.com/given_name"],
      lastName: [SURNAME_CLAIM, "family_name", "http://schema.auth0.com/family_name"],
    },
    requestedNameIdFormat: NAMEID_UNSPECIFIED,
  },
  google: { label: "Google Workspace", attributeNames: common, requestedNameIdFormat: NAMEID_UNSPECIFIED },
  generic: { label: "Other SAML 2.0 provider", attributeNames: common, requestedNameIdFormat: NAMEID_UNSPECIFIED },
};
