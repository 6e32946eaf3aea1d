import { deflateRawSync } from "node:zlib";
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
    // node-saml gives the request's XML uncompressed, as the HTTP-POST binding carries it (SAML Bindings 3.5.4); the
    // HTTP-Redirect binding's encoding is done below. Unsigned, the request reads the same in either binding.
    authnRequestBinding: "HTTP-POST",
    skipRequestCompression: true,
    // The request ID is checked against our database by the ACS, not against node-saml's per-process memory.
    validateInResponseTo: ValidateInResponseTo.never,
    // Entra ID does not fully support signed AuthnRequests; no IdP in our presets needs them.
    privateKey: undefined,
  });
  const samlRequest = String((await saml.getAuthorizeMessageAsync(returnTo, undefined, {})).SAMLRequest);
  if (connection.idpSsoBinding === "post") {
    return { binding: "post", action: connection.idpSsoUrl, fields: { SAMLRequest: samlRequest, RelayState: returnTo } };
  }
  return { binding: "redirect", url: redirectBindingUrl(connection.idpSsoUrl, Buffer.from(samlRequest, "base64"), returnTo) };
}

/**
 * The HTTP-Redirect binding (SAML Bindings 3.4.4.1): the request DEFLATE-compressed and base64-encoded in the IdP's URL,
 * beside RelayState, keeping any query the URL already has. node-saml deflates through an asynchronous zlib stream,
 * which cost a start more of the event loop's time than building the request. An AuthnRequest is under 1 KB: a
 * synchronous deflate with a 1 KB window compresses it as well, in a fraction of the time.
 */
function redirectBindingUrl(idpSsoUrl: string, request: Buffer, relayState: string): string {
  const url = new URL(idpSsoUrl);
  url.searchParams.set("SAMLRequest", deflateRawSync(request, { windowBits: 10, memLevel: 2 }).toString("base64"));
  url.searchParams.set("RelayState", relayState);
  return url.toString();
}
