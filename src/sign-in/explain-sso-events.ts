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

/** The settings page's recent problems: each failure's title and fix, and posts nobody vouched for told as what they are. */
export function explainRecentSsoProblems(events: SsoEvent[]): ExplainedSsoEvent[] {
  return events.map((e) => {
    const explained = explainRecordedFailure(e.code);
    return { ...e, explanation: e.signatureVerified ? explained.title : describeUnverified(e), fix: explained.fix };
  });
}

// Counted per address, never in the message's own words: nobody vouched for what it says.
function describeUnverified(event: SsoEvent): string {
  const posts = event.count === 1 ? "1 message" : `${event.count} messages`;
  const from = event.ip === null ? "other addresses" : event.ip;
  const when = (at: string) => at.slice(0, 16).replace("T", " ");
  const span = event.count === 1 ? "" : ` between ${when(event.firstAt)} and ${when(event.at)} UTC`;
  return `${posts} whose signature did not verify, from ${from}${span}`;
}
