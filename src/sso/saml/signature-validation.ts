import { SAML, ValidateInResponseTo, type CacheProvider, type SamlConfig } from "@node-saml/node-saml";

export interface SignatureValidationInput {
  /** The exact text that passed our pre-parse guard; node-saml gets these bytes and no others. */
  xml: string;
  idpCertificates: string[];
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  now: Date;
  clockSkewMs: number;
}

export type SignatureValidationOutcome =
  /** node-saml verified a signature covering the assertion and accepted it. */
  | { kind: "accepted"; verifiedAssertionXml: string }
  /** The signature was valid, then one of node-saml's own condition checks (audience, time) refused it. */
  | { kind: "refused_after_signature"; verifiedAssertionXml: string; message: string }
  /** No valid signature from the trusted certificates covers the assertion. */
  | { kind: "signature_refused"; message: string };

/**
 * Runs node-saml's signature validation. The assertion XML it hands back is the one the valid signature
 * covers (canonicalised bytes from xml-crypto): callers read every value from it, never from the posted tree.
 */
export async function validateSignatureWithNodeSaml(input: SignatureValidationInput): Promise<SignatureValidationOutcome> {
  const saml = new SamlJudgedAtInjectedTime(nodeSamlOptions(input), input.now.getTime());
  try {
    await saml.validatePostResponseAsync({ SAMLResponse: Buffer.from(input.xml, "utf8").toString("base64") });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (saml.verifiedAssertionXml === null) return { kind: "signature_refused", message };
    return { kind: "refused_after_signature", verifiedAssertionXml: saml.verifiedAssertionXml, message };
  }
  if (saml.verifiedAssertionXml === null) {
    // node-saml returns without an assertion only for LogoutResponse/NoPassive shapes, which the structure
    // checks have already refused; treat reaching here as an unsigned message rather than trusting it.
    return { kind: "signature_refused", message: "node-saml returned no signed assertion" };
  }
  return { kind: "accepted", verifiedAssertionXml: saml.verifiedAssertionXml };
}

function nodeSamlOptions(input: SignatureValidationInput): SamlConfig {
  return {
    // Only the connection's own certificates; xml-crypto 6 never trusts a key or cert inside the message's KeyInfo.
    idpCert: input.idpCertificates,
    // Required by node-saml; it names us in AuthnRequests and metadata, which this instance never builds.
    issuer: input.spEntityId,
    // Required by node-saml; it does not compare it with Recipient or Destination, so we check those ourselves.
    callbackUrl: input.acsUrl,
    // The assertion must be addressed to this clinic's SP, not to any other SP trusting the same IdP.
    audience: input.spEntityId,
    // Read only by node-saml's logout checks; the assertion Issuer is enforced by our own check.
    idpIssuer: input.idpEntityId,
    // Okta signs both, Entra/Google the assertion only, Auth0 can sign the response only: accept any of
    // them, as long as one valid signature covers the assertion (node-saml refuses otherwise).
    wantAssertionsSigned: false,
    // See wantAssertionsSigned: requiring the response signature would lock out Entra and Google.
    wantAuthnResponseSigned: false,
    // Same skew as our own time checks; node-saml's clock is replaced by the injected one (see below).
    acceptedClockSkewMs: input.clockSkewMs,
    // No extra age cap: NotOnOrAfter bounds the assertion, checked by node-saml and by us.
    maxAssertionAgeMs: 0,
    // InResponseTo is checked by the caller against the shared database store, not a per-process cache.
    validateInResponseTo: ValidateInResponseTo.never,
    // Never consulted with validateInResponseTo 'never'; this provider makes any use fail loudly instead
    // of keeping per-process state (node-saml's default also starts a timer per instance).
    cacheProvider: requestCacheThatMustNotBeUsed,
    // Encrypted assertions are refused before node-saml runs, so there is no decryption key to give.
    decryptionPvk: undefined,
    // node-saml's default is SHA-1; this instance signs nothing, but no copy of this config should inherit it.
    signatureAlgorithm: "sha256",
  };
}

const requestCacheThatMustNotBeUsed: CacheProvider = {
  saveAsync: () => Promise.reject(new Error("node-saml request cache must not be used")),
  getAsync: () => Promise.reject(new Error("node-saml request cache must not be used")),
  removeAsync: () => Promise.reject(new Error("node-saml request cache must not be used")),
};

/**
 * node-saml reads the machine clock (`new Date()`) for its time checks; this subclass hands those checks
 * the injected `now` instead, so node-saml and our own checks agree on one notion of time, and records
 * the assertion XML node-saml passes on only after a signature over it has verified.
 */
class SamlJudgedAtInjectedTime extends SAML {
  verifiedAssertionXml: string | null = null;
  readonly #nowMs: number;

  constructor(options: SamlConfig, nowMs: number) {
    super(options);
    this.#nowMs = nowMs;
  }

  protected override checkTimestampsValidityError(
    _machineNowMs: number,
    notBefore: string,
    notOnOrAfter: string,
    maxTimeLimitMs?: number,
  ): Error | null {
    return super.checkTimestampsValidityError(this.#nowMs, notBefore, notOnOrAfter, maxTimeLimitMs);
  }

  protected override processValidlySignedAssertionAsync(
    xml: string,
    samlResponseXml: string,
    inResponseTo: string | null,
  ): ReturnType<SAML["processValidlySignedAssertionAsync"]> {
    this.verifiedAssertionXml = xml;
    return super.processValidlySignedAssertionAsync(xml, samlResponseXml, inResponseTo);
  }
}
