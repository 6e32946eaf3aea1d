import type { SamlFailureDetails } from "../sso/saml/failure.js";
import type { IdpPreset } from "../sso/saml/presets.js";
import type { ResponseFacts } from "../sso/saml/response-facts.js";
import { explainRecordedFailure } from "./failure-messages.js";

/** A failed rule as the clinic's admin reads it: what went wrong, the values side by side, and the fix in the IdP's own terms. */
export interface Diagnosis {
  code: string;
  /** The first rule that failed, in plain words, with the values that decided it. */
  summary: string;
  compared: { label: string; theirs: string; ours: string }[];
  fix: string | null;
}

/** What the diagnosis may name: the connection's preset and certificates, and (test sign-in only) the response's facts. */
export interface DiagnosisContext {
  preset: IdpPreset;
  /** The certificates this check trusted, as "current" / "next" slots. */
  trusted: { slot: string; fingerprintSha256: string }[];
  /** Read from the response; null for the event log, which keeps no response. */
  facts?: ResponseFacts | null;
  details?: SamlFailureDetails | undefined;
  /** A response pasted from a SAML tracer: it was captured earlier, so its age is not the clocks' gap. */
  pasted?: boolean;
}

/** What each IdP calls the fields an admin changes to fix a failure. */
interface IdpTerms {
  idp: string;
  audience: string;
  acs: string;
  issuer: string;
  certificate: string;
  sha256: string;
  email: string;
  sign: string;
}

const TERMS = {
  okta: {
    idp: "Okta",
    audience: "Audience URI (SP Entity ID)",
    acs: 'Single sign on URL (with "Use this for Recipient URL and Destination URL" checked)',
    issuer: "Identity Provider Issuer",
    certificate: "X.509 Certificate (Sign On tab → View SAML setup instructions)",
    sha256: "in the app's SAML settings (Show Advanced Settings) set Signature Algorithm to RSA-SHA256 and Digest Algorithm to SHA256",
    email: "set Name ID format to EmailAddress and Application username to Email, and add the attribute statement email = user.email",
    sign: "set Response and Assertion Signature to Signed (Show Advanced Settings)",
  },
  entra: {
    idp: "Entra",
    audience: "Identifier (Entity ID)",
    acs: "Reply URL (Assertion Consumer Service URL)",
    issuer: "Microsoft Entra Identifier",
    certificate: "Certificate (Base64) under SAML Certificates",
    sha256: "under SAML Certificates → Edit set Signing Algorithm to SHA-256",
    email:
      "in Attributes & Claims map user.mail to the Unique User Identifier (Name ID) with format Email address (user.userprincipalname for people without a mailbox)",
    sign: 'under SAML Certificates → Edit set Signing Option to "Sign SAML assertion"',
  },
  auth0: {
    idp: "Auth0",
    audience: '"audience" in the SAML2 Web App add-on settings',
    acs: 'Application Callback URL, and "recipient" and "destination" in the SAML2 Web App add-on settings',
    issuer: "Issuer on the SAML2 Web App add-on's Usage tab (urn:YOUR-TENANT)",
    certificate: "Identity Provider Certificate on the SAML2 Web App add-on's Usage tab",
    sha256: "in Auth0's SAML2 add-on set signatureAlgorithm to rsa-sha256 and digestAlgorithm to sha256",
    email: 'in the SAML2 add-on settings set "nameIdentifierFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"',
    sign: 'keep the add-on\'s default assertion signature, or set "signResponse": true',
  },
  google: {
    idp: "Google",
    audience: "Entity ID (Service provider details)",
    acs: "ACS URL (Service provider details)",
    issuer: "Entity ID (Google Identity Provider details)",
    certificate: "Certificate (Google Identity Provider details)",
    sha256: "download the app's current certificate from Google Identity Provider details: Google signs with SHA-256",
    email: "set Name ID format to EMAIL and Name ID to Basic Information → Primary email",
    sign: "Google always signs its responses: check that the response really comes from Google",
  },
  generic: {
    idp: "Your IdP",
    audience: "Audience (SP Entity ID)",
    acs: "ACS URL (also used as Recipient and Destination)",
    issuer: "IdP entity ID (Issuer)",
    certificate: "X.509 signing certificate",
    sha256: "choose RSA-SHA256 as the signature algorithm and SHA-256 as the digest algorithm",
    email: "send the user's email as the NameID (format EmailAddress) or in an attribute named email",
    sign: "sign the assertion (or the whole response) with the certificate saved here",
  },
} as const satisfies Record<IdpPreset, IdpTerms>;

/** The IdP's own name for the preset, as sentences here use it. */
export function idpTerms(preset: IdpPreset): IdpTerms {
  return TERMS[preset];
}

/**
 * Turns a failure code and what is known about it into the admin's diagnosis. The event log (no response kept)
 * and the test sign-in (values from the signed assertion) use this one function, so both give the same fix.
 */
export function diagnoseFailure(code: string, reason: string, ctx: DiagnosisContext): Diagnosis {
  const t = TERMS[ctx.preset];
  const d = ctx.details ?? {};
  const theirs = (value: string | null | undefined) => (value === undefined ? "" : (value ?? "(none)"));
  const side = (label: string) =>
    d.expected !== undefined ? [{ label, theirs: theirs(d.received), ours: d.expected }] : ([] as Diagnosis["compared"]);
  const ours = (fallback: string) => d.expected ?? fallback;
  switch (code) {
    case "wrong_audience":
      return {
        code,
        summary: d.expected !== undefined ? `${t.idp} sent Audience ${theirs(d.received)}; we expect ${d.expected}.` : reason,
        compared: side("Audience"),
        fix: `Set ${t.audience} to ${ours("the Audience URI on this page")}.`,
      };
    case "wrong_recipient":
    case "wrong_destination": {
      const what = code === "wrong_recipient" ? "Recipient" : "Destination";
      return {
        code,
        summary: d.expected !== undefined ? `${t.idp} sent ${what} ${theirs(d.received)}; we expect ${d.expected}.` : reason,
        compared: side(what),
        fix: `Set ${t.acs} to ${ours("the ACS URL on this page")}.`,
      };
    }
    case "wrong_issuer":
      return {
        code,
        summary: d.expected !== undefined ? `${t.idp} sent Issuer ${theirs(d.received)}; this connection expects ${d.expected}.` : reason,
        compared: side("Issuer (IdP entity ID)"),
        fix: `Save the IdP side again with ${t.idp}'s ${t.issuer} (or its metadata), so the entity ID here matches what ${t.idp} sends.`,
      };
    case "invalid_signature":
    case "unsigned":
      return diagnoseSignature(code, reason, ctx, t);
    case "weak_signature_algorithm":
      return { code, summary: `Signed with SHA-1, which we refuse.`, compared: [], fix: `${capitalise(t.sha256)}.` };
    case "no_email":
      return diagnoseNoEmail(code, reason, ctx, t);
    case "expired":
    case "not_yet_valid":
    case "subject_confirmation_expired":
      return diagnoseTime(code, reason, ctx, t);
    default: {
      // Every other code has its fix in the shared explanations (failure-messages.ts), which are exhaustive.
      const explained = explainRecordedFailure(code);
      return { code, summary: reason, compared: [], fix: explained.fix };
    }
  }
}

function diagnoseSignature(code: string, reason: string, ctx: DiagnosisContext, t: IdpTerms): Diagnosis {
  const yours = ctx.trusted.map((c) => ({ label: `Your ${c.slot} certificate (SHA-256)`, theirs: "", ours: c.fingerprintSha256 }));
  const signers = ctx.facts?.signerFingerprints ?? [];
  const fix = `Download ${t.idp}'s ${t.certificate} and save it here (or stage it as the next certificate during a rollover).`;
  if (code === "unsigned") {
    return { code, summary: "The response is not signed, so nothing in it can be trusted.", compared: [], fix: `In ${t.idp}, ${t.sign}.` };
  }
  const trusted = new Set(ctx.trusted.map((c) => c.fingerprintSha256));
  const unknown = signers.filter((s) => !trusted.has(s));
  if (unknown.length > 0) {
    return {
      code,
      summary: `Signed by a certificate you have not uploaded: its SHA-256 fingerprint is ${unknown[0]}, yours is ${ctx.trusted.map((c) => c.fingerprintSha256).join(" or ")}.`,
      compared: [
        {
          label: "Signing certificate (SHA-256)",
          theirs: unknown[0]!,
          ours: ctx.trusted.map((c) => `${c.fingerprintSha256} (${c.slot})`).join(" or "),
        },
      ],
      fix,
    };
  }
  if (signers.length > 0) {
    return {
      code,
      summary: "The response names your certificate, but its signature does not verify: the response was changed after it was signed.",
      compared: yours,
      fix: "Capture the response again; if it keeps failing, something between the IdP and this browser changes the response.",
    };
  }
  return { code, summary: reason, compared: yours, fix };
}

function diagnoseNoEmail(code: string, reason: string, ctx: DiagnosisContext, t: IdpTerms): Diagnosis {
  const facts = ctx.facts;
  if (!facts) return { code, summary: reason, compared: [], fix: `In ${t.idp}, ${t.email}.` };
  const claims = facts.attributes.map((a) => a.name);
  const sent = claims.length > 0 ? claims.join(", ") : "no attributes at all";
  return {
    code,
    summary: `No email: ${t.idp} sent NameID ${facts.nameId ?? "(none)"} (format ${facts.nameIdFormat ?? "unspecified"}) and these claims: ${sent}.`,
    compared: [{ label: "NameID", theirs: facts.nameId ?? "(none)", ours: "an email address" }],
    fix: `In ${t.idp}, ${t.email}.`,
  };
}

function diagnoseTime(code: string, reason: string, ctx: DiagnosisContext, t: IdpTerms): Diagnosis {
  const d = ctx.details ?? {};
  const compared =
    d.instant && d.now
      ? [
          { label: code === "not_yet_valid" ? "Valid from" : "Valid until", theirs: d.instant, ours: "" },
          { label: "Issued at (the IdP's clock)", theirs: d.issuedAt ?? "(not given)", ours: `now: ${d.now}` },
        ]
      : [];
  if (!d.issuedAt || !d.now) {
    return { code, summary: reason, compared, fix: `Check the clock of ${t.idp}'s server: we allow 3 minutes of difference.` };
  }
  const gapMs = Date.parse(d.issuedAt) - Date.parse(d.now);
  const minutes = Math.round(Math.abs(gapMs) / 60_000);
  const span = `${minutes} minute${minutes === 1 ? "" : "s"}`;
  if (ctx.pasted) {
    return {
      code,
      summary: `This response was issued at ${d.issuedAt}, ${span} before it was pasted here; responses are valid for a few minutes only.`,
      compared,
      fix: "Capture a fresh response and paste it at once, or use Test sign-in, which also measures the gap between the clocks.",
    };
  }
  const clocks =
    minutes === 0
      ? `Your IdP's clock agrees with ours within a minute: the response took too long to arrive.`
      : `Your IdP's clock is ${span} ${gapMs > 0 ? "ahead of" : "behind"} ours.`;
  return {
    code,
    summary: `${clocks} ${code === "not_yet_valid" ? "The response is not valid yet" : "The response had expired"} when it reached us.`,
    compared,
    fix:
      minutes === 0
        ? "Start the sign-in again and finish it within a few minutes."
        : `Set the clock of ${t.idp}'s server right (NTP); we allow 3 minutes of difference.`,
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
