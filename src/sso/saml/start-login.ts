import { SAML, ValidateInResponseTo } from "@node-saml/node-saml";
import type { Db } from "../../db/open.js";
import { err, ok, type Result } from "../../result.js";
import type { SamlConnection } from "./connection.js";
import { PRESETS } from "./presets.js";
import { issueSamlRequest, type SamlRequestToIssue } from "./request-store.js";
import type { ServiceProviderUrls } from "./service-provider.js";

export type SamlLoginStart =
  { binding: "redirect"; url: string } | { binding: "post"; action: string; fields: { SAMLRequest: string; RelayState: string } };

/**
 * A person's SP-initiated sign-in at their clinic: only through its connection (as the host hook found it), and only
 * while that is turned on.
 */
export async function startClinicSamlLogin(
  db: Db,
  connection: SamlConnection | null,
  login: Omit<SamlRequestToIssue, "purpose"> & { sp: ServiceProviderUrls },
  now: Date,
): Promise<Result<SamlLoginStart, "sso_not_enabled">> {
  if (!connection?.enabled) return err("sso_not_enabled");
  return ok(await startSamlLogin(db, connection, login, now));
}

/**
 * Starts an SP-initiated sign-in: records the AuthnRequest ID in the shared database (so any app instance can
 * receive the answer) and returns where to send the browser.
 */
export async function startSamlLogin(
  db: Db,
  connection: SamlConnection,
  login: SamlRequestToIssue & { sp: ServiceProviderUrls },
  now: Date,
): Promise<SamlLoginStart> {
  const { sp, returnTo } = login;
  const requestId = await issueSamlRequest(db, connection.clinicId, login, now);
  const saml = new SAML({
    // Our own ID, so it can be stored before the browser leaves.
    generateUniqueId: () => requestId,
    entryPoint: connection.idpSsoUrl,
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    // node-saml requires a certificate even to build a request; nothing is verified with it here.
    idpCert: connection.certificates.map((c) => c.pem),
    // Okta errors when the NameIDPolicy format differs from the app's Name ID format: the preset knows what is safe.
    identifierFormat: PRESETS[connection.preset].requestedNameIdFormat,
    allowCreate: true,
    // A RequestedAuthnContext of "password" makes Entra and Okta refuse people who sign in with MFA or passkeys.
    disableRequestedAuthnContext: true,
    forceAuthn: false,
    authnRequestBinding: connection.idpSsoBinding === "post" ? "HTTP-POST" : "HTTP-Redirect",
    // The HTTP-POST binding carries the request uncompressed (SAML Bindings 3.5.4); node-saml deflates unless told.
    skipRequestCompression: connection.idpSsoBinding === "post",
    // The request ID is checked against our database by the ACS, not against node-saml's per-process memory.
    validateInResponseTo: ValidateInResponseTo.never,
    // Entra ID does not fully support signed AuthnRequests; no IdP in our presets needs them.
    privateKey: undefined,
  });
  if (connection.idpSsoBinding === "post") {
    const message = await saml.getAuthorizeMessageAsync(returnTo, undefined, {});
    return { binding: "post", action: connection.idpSsoUrl, fields: { SAMLRequest: String(message.SAMLRequest), RelayState: returnTo } };
  }
  return { binding: "redirect", url: await saml.getAuthorizeUrlAsync(returnTo, undefined, {}) };
}
