export interface SamlConnectionTable {
  /** One connection per clinic. */
  clinic_id: string;
  preset: "okta" | "entra" | "auth0" | "google" | "generic";
  idp_entity_id: string;
  idp_sso_url: string;
  idp_sso_binding: "redirect" | "post";
  /** JSON array of PEM certificates, one or two (two during a rollover). */
  idp_certificates: string;
  enabled: number;
  allow_idp_initiated: number;
  jit_provisioning: number;
  enforce_sso: number;
  /** Where the configuration came from: "manual", "metadata_xml" or the metadata URL. */
  source: string;
  last_success_at: string | null;
  /** Settings fingerprint (settingsFingerprint) of the last passing test sign-in; null until one passes. */
  tested_settings: string | null;
  created_at: string;
  updated_at: string;
}

/** An AuthnRequest we sent and may receive one answer to. */
export interface SamlRequestTable {
  id: string;
  clinic_id: string;
  return_to: string;
  created_at: string;
  expires_at: string;
  consumed_at: string | null;
  /** SHA-256 of the random value in the starting browser's binding cookie (login CSRF); null only for older rows. */
  browser_binding_hash: string | null;
  /** Set for a test sign-in: "current" (the connection's certificates) or "next" (only the staged next one). */
  test_certificates: "current" | "next" | null;
}

/** Assertion IDs already accepted, kept until the assertion could no longer be valid anyway. */
export interface SamlAssertionSeenTable {
  clinic_id: string;
  assertion_id: string;
  expires_at: string;
}

/** Every SSO attempt of a clinic, with its precise technical reason, for the clinic's admins and the operator. */
export interface SsoEventTable {
  id: string;
  clinic_id: string;
  at: string;
  outcome: "success" | "failure";
  code: string;
  /** The precise technical reason, for the clinic's admins and the operator; never the message itself. */
  reason: string;
  email: string | null;
  /** The id the person saw on their error page. */
  reference: string;
  ip: string | null;
  /** 0 when no trusted signature covered the message: nothing in it is the IdP's word. */
  signature_verified: number;
  /** How many posts this row stands for (unverified posts from one address are folded into one row). */
  count: number;
  first_at: string | null;
  /** For a failure: what to change, in the IdP's own terms; null for successes and older rows. */
  fix: string | null;
}
