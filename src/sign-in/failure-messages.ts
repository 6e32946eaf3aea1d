import type { SsoFailureCode } from "./sso-failure-codes.js";

export interface FailureExplanation {
  /** Heading of the page the person sees. */
  title: string;
  /** What happened, in plain words, for the person in front of the screen. */
  message: string;
  /** For the clinic's IT admin: what to change, shown beside the event in the log. */
  fix: string | null;
}

const SETUP_PROBLEM =
  "Your clinic's single sign-on is not set up correctly, so we could not sign you in. Your clinic's IT admin can see the details under Settings → Single sign-on.";
const TRY_AGAIN = "The sign-in could not be completed. Start again from your clinic's sign-in page.";

const UNTRUSTED_SIGNATURE: FailureExplanation = {
  title: "Sign-in refused: the message was not genuine",
  message:
    "The sign-in message that reached us was not signed by your clinic's identity provider, or was changed on the way, so we refused it as invalid. Nobody was signed in. Start again from your clinic's sign-in page; if this keeps happening, your clinic's IT admin can see the details under Settings → Single sign-on.",
  fix: "The response was not signed by a certificate we trust. Download the IdP's current signing certificate (Okta: View Setup Instructions; Entra: SAML Signing Certificate) and update the connection. During a rollover both certificates can be trusted.",
};
const WRONG_ACS_URL: FailureExplanation = {
  title: "Sign-in refused",
  message: SETUP_PROBLEM,
  fix: 'Set the Single sign on URL (Okta, with "Use this for Recipient URL and Destination URL" checked; Entra: Reply URL; Auth0: recipient and destination) to the ACS URL on the setup page.',
};
const OUT_OF_TIME: FailureExplanation = {
  title: "Sign-in expired",
  message: "The sign-in took too long or a clock is wrong. Start again from your clinic's sign-in page.",
  fix: "If this repeats, check the IdP server's clock: we allow 3 minutes of difference.",
};
const REQUEST_USED: FailureExplanation = { title: "This sign-in link was already used", message: TRY_AGAIN, fix: null };
const RESPONSE_REFUSED: FailureExplanation = {
  title: "Sign-in refused",
  message: "We could not sign you in with this response. Start again from your clinic's sign-in page.",
  fix: null,
};

// A new failure code without a sentence here fails the type-check.
const EXPLANATIONS = {
  sso_not_enabled: {
    title: "Single sign-on is off",
    message: "Your clinic has not turned on single sign-on. Sign in with your email and password instead.",
    fix: "Enable the connection in the operator API or ask support.",
  },
  weak_signature_algorithm: {
    title: "Sign-in refused",
    message: SETUP_PROBLEM,
    fix: 'The IdP signs with SHA-1. In Auth0, open the SAML2 Web App add-on settings and set "signatureAlgorithm": "rsa-sha256" and "digestAlgorithm": "sha256". In other IdPs choose RSA-SHA256.',
  },
  invalid_signature: UNTRUSTED_SIGNATURE,
  unsigned: UNTRUSTED_SIGNATURE,
  wrong_audience: {
    title: "Sign-in refused",
    message: SETUP_PROBLEM,
    fix: "Set the Audience URI (SP Entity ID) in the IdP to the value on the setup page (Entra: Identifier (Entity ID); Auth0: audience).",
  },
  wrong_destination: WRONG_ACS_URL,
  wrong_recipient: WRONG_ACS_URL,
  wrong_issuer: {
    title: "Sign-in refused",
    message: SETUP_PROBLEM,
    fix: "The response came from an IdP entity ID other than the one configured. Update the connection with the IdP's metadata (Okta: Identity Provider Issuer; Entra: Microsoft Entra Identifier).",
  },
  no_email: {
    title: "Sign-in refused",
    message: SETUP_PROBLEM,
    fix: "Send the user's email as the NameID (format EmailAddress) or in an attribute named email. In Entra, if user.mail is empty for people without a mailbox, map user.userprincipalname.",
  },
  encrypted_assertion_unsupported: {
    title: "Sign-in refused",
    message: SETUP_PROBLEM,
    fix: "Turn off assertion encryption in the IdP: we accept signed, unencrypted assertions over HTTPS.",
  },
  status_not_success: {
    title: "Your identity provider did not sign you in",
    message:
      "Your clinic's identity provider answered that it could not sign you in. Check that you are assigned to this app there, or ask your clinic's IT admin.",
    fix: "The IdP returned a non-Success status: check that the person is assigned to the app.",
  },
  not_yet_valid: OUT_OF_TIME,
  expired: OUT_OF_TIME,
  subject_confirmation_expired: OUT_OF_TIME,
  unknown_request: REQUEST_USED,
  request_expired: REQUEST_USED,
  request_already_used: REQUEST_USED,
  request_purpose_mismatch: {
    title: "Sign-in refused",
    message: "This answer belongs to a test sign-in, which never signs anyone in. Start again from your clinic's sign-in page.",
    fix: null,
  },
  request_for_other_clinic: REQUEST_USED,
  assertion_replayed: REQUEST_USED,
  request_from_other_browser: {
    title: "Start again in this browser",
    message:
      "This sign-in was started in a different browser, so we did not sign you in here. Start again from your clinic's sign-in page in this browser, and let it keep cookies for this site.",
    fix: "Nobody was signed in. Either the person's browser blocked the short-lived sign-in cookie, or a response started in another browser was posted here (someone trying to sign a person into their own account).",
  },
  unsolicited_not_allowed: {
    title: "Start from your clinic's sign-in page",
    message: "Your clinic only allows signing in from its own sign-in page, not from the identity provider's app list.",
    fix: "Enable IdP-initiated sign-in on the connection if people should start from the IdP's dashboard.",
  },
  not_provisioned: {
    title: "Your clinic has not added you yet",
    message:
      "You signed in with your identity provider, but your clinic has not added you yet. Ask your clinic's admin to add you in Manage Users, or to turn on just-in-time provisioning under Settings → Single sign-on, which creates your account at your first sign-in.",
    fix: "Add the person in Manage Users, or turn on just-in-time provisioning.",
  },
  member_deactivated: {
    title: "Your access was removed",
    message: "Your clinic has removed your access. If you think this is a mistake, ask your clinic admin.",
    fix: "Restore the person in Manage Users.",
  },
  member_not_active: {
    title: "Your invitation is pending",
    message: "Your clinic has invited you, but the invitation is not accepted yet. Open the invitation link your admin sent you.",
    fix: null,
  },
  member_of_other_clinic: {
    title: "This account belongs to another clinic",
    message: "Your email address is already used by an account of another clinic, so it cannot sign in here. Contact support.",
    fix: "Accounts are never moved between clinics: the operator must resolve it.",
  },
  seat_limit_reached: {
    title: "Your clinic has no free seats",
    message: "Your clinic has no free seats, so we could not create your account. Ask your clinic admin to free a seat or add seats.",
    fix: "Free a seat in Manage Users or buy more seats.",
  },
  email_not_accepted: {
    title: "Your email address cannot be used here",
    message:
      "Your identity provider sent an email address with characters we do not accept (hidden, text-direction or full-width characters). Ask your clinic's IT admin to check your email address in the identity provider.",
    fix: "Correct the user's email in the IdP: plain letters before the @, no invisible or text-direction characters. The event's reason names the character.",
  },
  email_domain_not_allowed: {
    title: "Your email address is not one of your clinic's",
    message:
      "Your clinic accepts single sign-on only for its own email domains, and the address your identity provider sent is not in one of them, so we did not sign you in. Ask your clinic's IT admin to check your email address in the identity provider.",
    fix: "Send the person's address in one of the clinic's email domains, or add their domain under Settings → Single sign-on → Email domains.",
  },
  email_domain_of_other_clinic: {
    title: "Your email address belongs to another organisation",
    message:
      "The address your identity provider sent is in an email domain that another organisation on this service has claimed, so it cannot sign in here. Ask your clinic's IT admin, or contact support if the domain is yours.",
    fix: "Another clinic has locked this email domain. If it is yours, the operator can move it to your clinic.",
  },
  name_not_accepted: {
    title: "Your name cannot be used here",
    message:
      "Your identity provider sent a name with characters we do not accept (hidden or text-direction characters, or < and >), so we could not create your account. Ask your clinic's IT admin to check your name in the identity provider.",
    fix: "Correct the user's first and last name in the IdP, or have an admin invite the person in Manage Users. The event's reason names the character.",
  },
  response_too_large: RESPONSE_REFUSED,
  malformed_response: RESPONSE_REFUSED,
  doctype_forbidden: RESPONSE_REFUSED,
  nesting_too_deep: RESPONSE_REFUSED,
  assertion_count: RESPONSE_REFUSED,
  no_bearer_confirmation: RESPONSE_REFUSED,
  in_response_to_mismatch: RESPONSE_REFUSED,
  comment_in_value: RESPONSE_REFUSED,
  assertion_rejected: RESPONSE_REFUSED,
} satisfies Record<SsoFailureCode, FailureExplanation>;

/** The plain-language side of every SSO failure code. */
export function explainSsoFailure(code: SsoFailureCode): FailureExplanation {
  return EXPLANATIONS[code];
}

/** A code read back from the event log, where rows written by other versions may carry codes this one does not know. */
export function explainRecordedFailure(code: string): FailureExplanation {
  return Object.hasOwn(EXPLANATIONS, code) ? EXPLANATIONS[code as SsoFailureCode] : RESPONSE_REFUSED;
}
