import type { SamlConnection } from "../sso/saml/connection.js";
import type { SsoEvent } from "../sso/saml/sso-events.js";
import { diagnoseFailure } from "./diagnose-failure.js";
import { explainRecordedFailure } from "./failure-messages.js";

// Successes other than a sign-in that the log records, in its words.
const SUCCESS_WORDS: Record<string, string> = {
  test_sign_in_passed: "Test sign-in passed",
  certificate_removed: "Certificate removed",
};

/** An event of the clinic's SSO log in the admin's words, with the fix for a failure. */
export type ExplainedSsoEvent = SsoEvent & { explanation: string; fix: string | null };

/** The log's events explained against the connection as it is now (its preset's terms, its trusted certificates). */
export function explainSsoEvents(events: SsoEvent[], connection: SamlConnection | null): ExplainedSsoEvent[] {
  const trusted = (connection?.certificates ?? []).map((c, i) => ({
    slot: i === 0 ? "current" : "next",
    fingerprintSha256: c.fingerprintSha256,
  }));
  const preset = connection?.preset ?? "generic";
  return events.map((e) => ({
    ...e,
    explanation:
      e.outcome === "success"
        ? (SUCCESS_WORDS[e.code] ?? "Signed in")
        : e.signatureVerified
          ? explainRecordedFailure(e.code).title
          : `${e.count === 1 ? "A message" : `${e.count} messages`} whose signature did not verify`,
    // A fix recorded with the event was written for that attempt; older events get today's diagnosis.
    fix: e.outcome === "failure" ? (e.fix ?? diagnoseFailure(e.code, e.reason, { preset, trusted }).fix) : null,
  }));
}
