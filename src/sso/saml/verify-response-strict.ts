import type { Element } from "@xmldom/xmldom";
import { quoteValue, samlFailure } from "./failure.js";
import { decodeAndGuardSamlResponse } from "./pre-parse-guard.js";
import { checkResponseStructure } from "./response-structure.js";
import { SAML_ASSERTION_NS, isNamed, parseXmlDocument } from "./saml-xml.js";
import { validateSignatureWithNodeSaml } from "./signature-validation.js";
import {
  afterSignature,
  assertUsableSettings,
  beforeSignature,
  checkSignedAssertion,
  type VerificationFailure,
  type VerifiedAssertion,
  type VerifySamlResponseInput,
} from "./verify-response.js";

/**
 * The strict path, kept as the reference `verifySamlResponse` is checked against (differential tests,
 * bench): the same guard and structure checks, node-saml 5.1's `validatePostResponseAsync` for the
 * signature, then our rules on the assertion XML node-saml hands back. Not used to sign anyone in.
 */
export async function verifySamlResponseStrict(
  input: VerifySamlResponseInput,
): Promise<{ ok: true; value: VerifiedAssertion } | { ok: false; error: VerificationFailure }> {
  assertUsableSettings(input);
  const guarded = decodeAndGuardSamlResponse(input.samlResponse);
  if (!guarded.ok) return beforeSignature(guarded);
  const doc = parseXmlDocument(guarded.value);
  if (doc === null) return beforeSignature(samlFailure("malformed_response", "SAMLResponse is not well-formed XML"));
  const posted = checkResponseStructure(doc);
  if (!posted.ok) return beforeSignature(posted);

  const signature = await validateSignatureWithNodeSaml({
    xml: guarded.value,
    idpCertificates: input.trust.certificates,
    idpEntityId: input.trust.idpEntityId,
    spEntityId: input.sp.entityId,
    acsUrl: input.sp.acsUrl,
    now: input.now,
    clockSkewMs: input.clockSkewMs,
  });
  if (signature.kind === "signature_refused") {
    return beforeSignature(
      samlFailure(
        "invalid_signature",
        `No valid signature by the connection's certificates covers the assertion${libraryWords(signature.message)}`,
      ),
    );
  }
  const verifiedAssertion = parseVerifiedAssertion(signature.verifiedAssertionXml);
  if (verifiedAssertion === null) {
    return afterSignature(samlFailure("assertion_rejected", "The signed assertion returned by node-saml could not be read"));
  }
  const checked = checkSignedAssertion(posted.value, verifiedAssertion, input);
  if (!checked.ok) return afterSignature(checked);
  if (signature.kind === "refused_after_signature") {
    // node-saml refused for a reason our own checks did not find: still a refusal.
    return afterSignature(samlFailure("assertion_rejected", `node-saml refused the signed assertion: ${quoteValue(signature.message)}`));
  }
  return checked;
}

// node-saml's own sentences are plain words ("Invalid signature"); one that quotes the unverified message is left out.
function libraryWords(message: string): string {
  return /^[A-Za-z ,.:'-]{1,120}$/.test(message) ? ` (node-saml: ${message})` : "";
}

function parseVerifiedAssertion(xml: string): Element | null {
  const root = parseXmlDocument(xml)?.documentElement ?? null;
  return root !== null && isNamed(root, SAML_ASSERTION_NS, "Assertion") ? root : null;
}
