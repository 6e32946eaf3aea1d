import type { SsoFailureCode } from "./consume-response.js";

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

/** The plain-language side of every SSO failure code. */
export function explainSsoFailure(code: SsoFailureCode): FailureExplanation {
  switch (code) {
    case "sso_not_enabled":
      return {
        title: "Single sign-on is off",
        message: "Your clinic has not turned on single sign-on. Sign in with your email and password instead.",
        fix: "Enable the connection in the operator API or ask support.",
      };
    case "weak_signature_algorithm":
      return {
        title: "Sign-in refused",
        message: SETUP_PROBLEM,
        fix: 'The IdP signs with SHA-1. In Auth0, open the SAML2 Web App add-on settings and set "signatureAlgorithm": "rsa-sha256" and "digestAlgorithm": "sha256". In other IdPs choose RSA-SHA256.',
      };
    case "invalid_signature":
    case "unsigned":
      return {
        title: "Sign-in refused: the message was not genuine",
        message:
          "The sign-in message that reached us was not signed by your clinic's identity provider, or was changed on the way, so we refused it as invalid. Nobody was signed in. Start again from your clinic's sign-in page; if this keeps happening, your clinic's IT admin can see the details under Settings → Single sign-on.",
        fix: "The response was not signed by a certificate we trust. Download the IdP's current signing certificate (Okta: View Setup Instructions; Entra: SAML Signing Certificate) and update the connection. During a rollover both certificates can be trusted.",
      };
    case "wrong_audience":
      return {
        title: "Sign-in refused",
        message: SETUP_PROBLEM,
        fix: "Set the Audience URI (SP Entity ID) in the IdP to the value on the setup page (Entra: Identifier (Entity ID); Auth0: audience).",
      };
    case "wrong_destination":
    case "wrong_recipient":
      return {
        title: "Sign-in refused",
        message: SETUP_PROBLEM,
        fix: 'Set the Single sign on URL (Okta, with "Use this for Recipient URL and Destination URL" checked; Entra: Reply URL; Auth0: recipient and destination) to the ACS URL on the setup page.',
      };
    case "wrong_issuer":
      return {
        title: "Sign-in refused",
        message: SETUP_PROBLEM,
        fix: "The response came from an IdP entity ID other than the one configured. Update the connection with the IdP's metadata (Okta: Identity Provider Issuer; Entra: Microsoft Entra Identifier).",
      };
    case "no_email":
      return {
        title: "Sign-in refused",
        message: SETUP_PROBLEM,
        fix: "Send the user's email as the NameID (format EmailAddress) or in an attribute named email. In Entra, if user.mail is empty for people without a mailbox, map user.userprincipalname.",
      };
    case "encrypted_assertion_unsupported":
      return {
        title: "Sign-in refused",
        message: SETUP_PROBLEM,
        fix: "Turn off assertion encryption in the IdP: we accept signed, unencrypted assertions over HTTPS.",
      };
    case "status_not_success":
      return {
        title: "Your identity provider did not sign you in",
        message:
          "Your clinic's identity provider answered that it could not sign you in. Check that you are assigned to this app there, or ask your clinic's IT admin.",
        fix: "The IdP returned a non-Success status: check that the person is assigned to the app.",
      };
    case "not_yet_valid":
    case "expired":
    case "subject_confirmation_expired":
      return {
        title: "Sign-in expired",
        message: "The sign-in took too long or a clock is wrong. Start again from your clinic's sign-in page.",
        fix: "If this repeats, check the IdP server's clock: we allow 3 minutes of difference.",
      };
    case "unknown_request":
    case "request_expired":
    case "request_already_used":
    case "request_for_other_clinic":
    case "assertion_replayed":
      return { title: "This sign-in link was already used", message: TRY_AGAIN, fix: null };
    case "unsolicited_not_allowed":
      return {
        title: "Start from your clinic's sign-in page",
        message: "Your clinic only allows signing in from its own sign-in page, not from the identity provider's app list.",
        fix: "Enable IdP-initiated sign-in on the connection if people should start from the IdP's dashboard.",
      };
    case "not_provisioned":
      return {
        title: "Your clinic has not added you yet",
        message:
          "You signed in with your identity provider, but your clinic has not added you yet. Ask your clinic's admin to add you in Manage Users, or to turn on just-in-time provisioning under Settings → Single sign-on, which creates your account at your first sign-in.",
        fix: "Add the person in Manage Users, or turn on just-in-time provisioning.",
      };
    case "member_deactivated":
      return {
        title: "Your access was removed",
        message: "Your clinic has removed your access. If you think this is a mistake, ask your clinic admin.",
        fix: "Restore the person in Manage Users.",
      };
    case "member_not_active":
      return {
        title: "Your invitation is pending",
        message: "Your clinic has invited you, but the invitation is not accepted yet. Open the invitation link your admin sent you.",
        fix: null,
      };
    case "member_of_other_clinic":
      return {
        title: "This account belongs to another clinic",
        message: "Your email address is already used by an account of another clinic, so it cannot sign in here. Contact support.",
        fix: "Accounts are never moved between clinics: the operator must resolve it.",
      };
    case "seat_limit_reached":
      return {
        title: "Your clinic has no free seats",
        message: "Your clinic has no free seats, so we could not create your account. Ask your clinic admin to free a seat or add seats.",
        fix: "Free a seat in Manage Users or buy more seats.",
      };
    default:
      return {
        title: "Sign-in refused",
        message: "We could not sign you in with this response. Start again from your clinic's sign-in page.",
        fix: null,
      };
  }
}
