/**
 * Failure codes of SAML response verification. The codes are stable (they end up in the clinic's event
 * log and in support conversations); the reason is one technical sentence for the clinic's admins.
 */
export type SamlFailureCode =
  | "response_too_large"
  | "malformed_response"
  | "doctype_forbidden"
  | "nesting_too_deep"
  | "unsigned"
  | "invalid_signature"
  | "weak_signature_algorithm"
  | "assertion_count"
  | "encrypted_assertion_unsupported"
  | "status_not_success"
  | "wrong_issuer"
  | "wrong_audience"
  | "wrong_destination"
  | "wrong_recipient"
  | "not_yet_valid"
  | "expired"
  | "subject_confirmation_expired"
  | "no_bearer_confirmation"
  | "in_response_to_mismatch"
  | "comment_in_value"
  | "no_email"
  | "assertion_rejected";

export interface SamlFailure {
  code: SamlFailureCode;
  /** Precise technical sentence for the clinic admins' event log; never contains markup from the message. */
  reason: string;
  /** The values compared, for a side-by-side diagnosis (test sign-in); taken from the signed assertion only. */
  details?: SamlFailureDetails;
}

export interface SamlFailureDetails {
  /** What the message said, and what this connection expected. */
  received?: string | null;
  expected?: string;
  /** Time rules: the instant that failed, our clock, and the assertion's IssueInstant (the IdP's clock). */
  instant?: string;
  now?: string;
  issuedAt?: string | null;
}

export type SamlResult<T> = { ok: true; value: T } | { ok: false; error: SamlFailure };

export function samlFailure(code: SamlFailureCode, reason: string, details?: SamlFailureDetails): { ok: false; error: SamlFailure } {
  return { ok: false, error: details ? { code, reason, details } : { code, reason } };
}

const MAX_QUOTED_LENGTH = 200;

/**
 * Quotes a value taken from the message for use in a reason: shortened, control and invisible characters escaped
 * and angle brackets replaced, so a reason can never carry markup (or a whole assertion) into the event log.
 */
export function quoteValue(value: string | null | undefined): string {
  if (value === null || value === undefined) return "(missing)";
  const shortened = value.length > MAX_QUOTED_LENGTH ? `${value.slice(0, MAX_QUOTED_LENGTH)}…` : value;
  // Invisible and text-direction characters are spelled out too: a reason must read the same as it is stored.
  return JSON.stringify(shortened)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/[\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, "0")}`);
}
