import { inflateRawSync } from "node:zlib";
import type { Clinic } from "../../src/clinics/clinic.js";
import type { HttpClient, HttpResponse } from "./http-client.js";
import type { TestApp } from "./harness.js";
import { createTestIdp, type BuildResponseOptions, type TestIdp } from "./test-idp.js";

export interface SamlClinic {
  clinic: Clinic;
  idp: TestIdp;
  sp: { entityId: string; acsUrl: string };
}

/** Connects a clinic to a fresh test IdP through the operator API, as support staff would. */
export async function connectTestIdp(t: TestApp, clinic: Clinic, flags: Record<string, unknown> = {}): Promise<SamlClinic> {
  const idp = await createTestIdp({ entityId: `https://idp.test/${clinic.subdomain}`, ssoUrl: `https://idp.test/${clinic.subdomain}/sso` });
  const res = await t
    .client()
    .postJson(
      t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`),
      { idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: [idp.certificatePem], preset: "okta", ...flags },
      t.operator,
      "PUT",
    );
  if (res.status !== 200) throw new Error(`configuring SSO failed: ${res.status} ${res.body}`);
  const body = res.json();
  return { clinic, idp, sp: { entityId: body.spEntityId, acsUrl: body.acsUrl } };
}

/** Starts an SP-initiated sign-in like the SSO button does and returns the AuthnRequest's ID and RelayState. */
export async function startLogin(
  t: TestApp,
  client: HttpClient,
  clinic: Clinic,
  returnTo = "/dashboard",
): Promise<{ requestId: string; relayState: string; authnRequest: string; location: string }> {
  const res = await client.get(t.clinicUrl(clinic.subdomain, `/saml/login?returnTo=${encodeURIComponent(returnTo)}`));
  if (res.status !== 302 || !res.location) throw new Error(`login did not redirect: ${res.status}`);
  const url = new URL(res.location);
  const authnRequest = inflateRawSync(Buffer.from(url.searchParams.get("SAMLRequest")!, "base64")).toString("utf8");
  const requestId = /ID="([^"]+)"/.exec(authnRequest)![1]!;
  return { requestId, relayState: url.searchParams.get("RelayState") ?? "", authnRequest, location: res.location };
}

/** A response from the clinic's test IdP addressed to this clinic (our audience and ACS), the rest as given. */
export function idpResponse(s: SamlClinic, options: Omit<BuildResponseOptions, "spEntityId" | "acsUrl">): Promise<string> {
  return s.idp.buildResponse({ spEntityId: s.sp.entityId, acsUrl: s.sp.acsUrl, ...options });
}

/** An SP-initiated sign-in as a browser makes it: started on the clinic's host, answered by the IdP for email, posted back. */
export async function signInThroughIdp(
  t: TestApp,
  client: HttpClient,
  s: SamlClinic,
  options: Omit<BuildResponseOptions, "spEntityId" | "acsUrl" | "inResponseTo">,
  returnTo = "/dashboard",
): Promise<HttpResponse> {
  const { requestId } = await startLogin(t, client, s.clinic, returnTo);
  return postToAcs(t, client, s.clinic.subdomain, await idpResponse(s, { ...options, inResponseTo: requestId }));
}

export function postToAcs(
  t: TestApp,
  client: HttpClient,
  subdomain: string,
  samlResponse: string,
  relayState?: string,
): Promise<HttpResponse> {
  return client.postForm(t.clinicUrl(subdomain, "/saml/acs"), {
    SAMLResponse: samlResponse,
    ...(relayState !== undefined ? { RelayState: relayState } : {}),
  });
}

export async function latestSsoEvent(
  t: TestApp,
  subdomain: string,
): Promise<{ outcome: string; code: string; reason: string; reference: string; email: string | null }> {
  const res = await t.client().get(t.main(`/api/v1/clinics/${subdomain}/sso/saml/events?limit=1`), t.operator);
  return res.json().events[0];
}
