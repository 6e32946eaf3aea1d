import type { Clinic } from "../../clinics/clinic.js";
import type { SamlConnection } from "./connection.js";
import type { SamlFailureDetails } from "./failure.js";
import { PRESETS } from "./presets.js";
import type { ResponseVerifier } from "./response-verifier.js";
import type { ServiceProviderUrls } from "./service-provider.js";
import type { SamlFailureCode, VerifiedAssertion } from "./verify-response.js";

// Entra and others drift by seconds to a minute; three minutes is the most we forgive.
export const CLOCK_SKEW_MS = 3 * 60_000;

/** Why a posted response is refused before anyone's membership is looked at. */
export type ResponseFailureCode = SamlFailureCode | "sso_not_enabled";

/**
 * Verifies a posted SAMLResponse against one clinic's connection, and only that one, if it is enabled. Protocol only: no
 * database, no member; the request store and the replay cache are the caller's next steps. The verifier runs the
 * verification off the event loop (a worker pool) and throws VerifierBusyError when it has no room for it.
 */
export async function verifyResponseForConnection(
  verifier: ResponseVerifier,
  clinic: Clinic,
  connection: SamlConnection | null,
  sp: ServiceProviderUrls,
  samlResponse: string,
  now: Date,
): Promise<
  | { ok: true; value: { connection: SamlConnection; assertion: VerifiedAssertion } }
  | {
      ok: false;
      error: {
        code: ResponseFailureCode;
        reason: string;
        details?: SamlFailureDetails;
        signatureVerified?: boolean;
        postedInResponseTo?: string;
      };
    }
> {
  if (!connection || !connection.enabled) {
    return { ok: false, error: { code: "sso_not_enabled", reason: `Single sign-on is not enabled for ${clinic.subdomain}` } };
  }
  const verified = await verifier.verify({
    samlResponse,
    // The clinic comes from the host the response was posted to; the message's Issuer is only checked against it.
    trust: { idpEntityId: connection.idpEntityId, certificates: connection.certificates.map((c) => c.pem) },
    sp: { entityId: sp.entityId, acsUrl: sp.acsUrl },
    attributeNames: PRESETS[connection.preset].attributeNames,
    now,
    clockSkewMs: CLOCK_SKEW_MS,
  });
  return verified.ok ? { ok: true, value: { connection, assertion: verified.value } } : verified;
}
