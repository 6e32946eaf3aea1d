/**
 * The demo IdP's side of a sign-in: reading the AuthnRequest a clinic sent, the app list for IdP-initiated
 * sign-in, and answering with a signed response for the chosen demo person.
 */
import type { Clinic } from "../clinics/clinic.js";
import type { Config } from "../config.js";
import type { Db } from "../db/open.js";
import { err, ok, type Result } from "../result.js";
import { parseCertificate } from "../sso/saml/certificates.js";
import type { SamlConnection, SamlConnectionFlags } from "../sso/saml/connection.js";
import { saveSamlConnection } from "../sso/saml/connection.queries.js";
import { serviceProviderUrls, type ServiceProviderUrls } from "../sso/saml/service-provider.js";
import { MAX_RELAY_STATE_CHARS, type DemoIdp } from "./demo-idp.js";
import { findClinicConnectedToIdp, listClinicsConnectedToIdp } from "./demo-idp.queries.js";
import { emailSchema, personNameSchema } from "../users/user.js";
import { DEMO_PEOPLE, type DemoPerson } from "./demo-people.js";

/**
 * Points a clinic's SAML connection at the demo IdP; JIT provisioning and SSO enforcement keep their setting
 * unless `flags` names them.
 */
export async function connectClinicToDemoIdp(
  db: Db,
  clinicId: string,
  idp: DemoIdp,
  now: Date,
  flags: Partial<SamlConnectionFlags> = {},
): Promise<SamlConnection> {
  const certificate = parseCertificate(idp.certificatePem);
  if (!certificate.ok) throw new Error(`the demo IdP certificate does not parse: ${certificate.error}`);
  return saveSamlConnection(
    db,
    clinicId,
    {
      preset: "okta",
      idpEntityId: idp.entityId,
      idpSsoUrl: idp.ssoUrl,
      idpSsoBinding: "redirect",
      certificates: [certificate.value],
      source: "demo-idp",
      flags: { enabled: true, allowIdpInitiated: true, ...flags },
    },
    now,
  );
}

export type DemoSsoRefusal =
  "request_too_large" | "relay_state_too_long" | "malformed_request" | "wrong_destination" | "unknown_service_provider" | "acs_mismatch";

/** One sign-in the demo IdP is about to answer. */
export interface DemoSignIn {
  clinic: Clinic;
  sp: ServiceProviderUrls;
  /** The AuthnRequest's ID; null when the sign-in started at the IdP. */
  inResponseTo: string | null;
  relayState: string | null;
}

/** An AuthnRequest as the browser brought it (query or form), with the RelayState sent beside it, if any. */
export interface DemoSignInRequest {
  samlRequest: string;
  relayState: string | undefined;
}

/**
 * Reads an AuthnRequest sent to the demo IdP and finds the connected clinic whose SP sent it. Everything in
 * it is hostile, and it is read again from scratch when the person submits the login form.
 */
export async function readDemoSignInRequest(
  db: Db,
  config: Config,
  idp: DemoIdp,
  input: DemoSignInRequest,
): Promise<Result<DemoSignIn, DemoSsoRefusal>> {
  if (input.samlRequest === "") return err("malformed_request");
  if ((input.relayState ?? "").length > MAX_RELAY_STATE_CHARS) return err("relay_state_too_long");
  const request = await idp.parseAuthnRequest(input.samlRequest);
  if (!request.ok) return request;
  // A request addressed to another IdP was meant for someone else (saml-bindings 3.4.5.2).
  if (request.value.destination !== null && request.value.destination !== idp.ssoUrl) return err("wrong_destination");
  const connected = await listDemoIdpApps(db, config, idp);
  // Exact match on the whole entity ID, among connected clinics only: the Issuer names the app, it grants nothing.
  const app = connected.find(({ sp }) => sp.entityId === request.value.issuer);
  if (!app) return err("unknown_service_provider");
  // The response always goes to the registered ACS; a request naming another one is refused, not redirected.
  if (request.value.acsUrl !== null && request.value.acsUrl !== app.sp.acsUrl) return err("acs_mismatch");
  return ok({ ...app, inResponseTo: request.value.id, relayState: input.relayState || null });
}

/** The clinics connected to this demo IdP, with their SP addresses: the IdP's app dashboard. */
export async function listDemoIdpApps(db: Db, config: Config, idp: DemoIdp): Promise<{ clinic: Clinic; sp: ServiceProviderUrls }[]> {
  const clinics = await listClinicsConnectedToIdp(db, idp.entityId);
  return clinics.map((clinic) => ({ clinic, sp: serviceProviderUrls(config, clinic.subdomain) }));
}

/** An IdP-initiated sign-in to a connected clinic: no request to answer, RelayState is the clinic's dashboard. */
export async function startDemoIdpInitiatedSignIn(db: Db, config: Config, idp: DemoIdp, clinicId: unknown): Promise<DemoSignIn | null> {
  if (typeof clinicId !== "string" || clinicId.length > 64) return null;
  const clinic = await findClinicConnectedToIdp(db, idp.entityId, clinicId);
  if (!clinic) return null;
  const sp = serviceProviderUrls(config, clinic.subdomain);
  return { clinic, sp, inResponseTo: null, relayState: sp.defaultRelayState };
}

export interface DemoSignInAnswer {
  /** Where the browser posts the response: the clinic's registered ACS. */
  acsUrl: string;
  samlResponse: string;
  relayState: string | null;
  clinic: Clinic;
  person: DemoPerson;
}

/** Who to sign in as: one of the listed demo people, or any email and name typed on the page. */
export type DemoPersonChoice = { person: unknown } | { email: unknown; name: unknown };

export type DemoPersonRefusal = "unknown_person" | "invalid_email" | "invalid_name";

/** The person a choice names; a typed email and name are checked as strictly as an invitation's. */
export function demoPersonFor(choice: DemoPersonChoice): Result<DemoPerson, DemoPersonRefusal> {
  if ("person" in choice) {
    const person = DEMO_PEOPLE.find((p) => p.email === choice.person);
    return person ? ok(person) : err("unknown_person");
  }
  const email = emailSchema.safeParse(choice.email);
  if (!email.success) return err("invalid_email");
  const name = personNameSchema.safeParse(choice.name);
  if (!name.success) return err("invalid_name");
  const listed = DEMO_PEOPLE.find((p) => p.email === email.data.toLowerCase());
  if (listed) return ok(listed);
  const [firstName = name.data, ...rest] = name.data.split(/\s+/);
  return ok({ email: email.data.toLowerCase(), firstName, lastName: rest.join(" "), displayName: name.data, note: "" });
}

/** Signs the chosen person in: the signed SAMLResponse, and where the browser must post it. */
export async function answerDemoSignIn(
  idp: DemoIdp,
  signIn: DemoSignIn,
  choice: DemoPersonChoice,
  now: Date,
): Promise<Result<DemoSignInAnswer, DemoPersonRefusal>> {
  const chosen = demoPersonFor(choice);
  if (!chosen.ok) return chosen;
  const person = chosen.value;
  const samlResponse = await idp.createResponse({ sp: signIn.sp, person, inResponseTo: signIn.inResponseTo, now });
  return ok({ acsUrl: signIn.sp.acsUrl, samlResponse, relayState: signIn.relayState, clinic: signIn.clinic, person });
}

/**
 * Answers an AuthnRequest for the chosen person. The request came back through the browser in the login form's
 * hidden fields, so it is read and checked again from scratch, as on arrival; a choice the IdP refuses comes back
 * with the request as read, for the login page to be shown again.
 */
export async function answerDemoSignInRequest(
  db: Db,
  config: Config,
  idp: DemoIdp,
  input: DemoSignInRequest,
  choice: DemoPersonChoice,
  now: Date,
): Promise<Result<DemoSignInAnswer, DemoSsoRefusal> | { ok: false; error: DemoPersonRefusal; signIn: DemoSignIn }> {
  const signIn = await readDemoSignInRequest(db, config, idp, input);
  if (!signIn.ok) return signIn;
  const answer = await answerDemoSignIn(idp, signIn.value, choice, now);
  return answer.ok ? answer : { ...answer, signIn: signIn.value };
}

/** Signs the chosen person in to a clinic picked from the app dashboard (IdP-initiated). */
export async function answerDemoIdpInitiatedSignIn(
  db: Db,
  config: Config,
  idp: DemoIdp,
  clinicId: unknown,
  choice: DemoPersonChoice,
  now: Date,
): Promise<Result<DemoSignInAnswer, "unknown_app" | DemoPersonRefusal>> {
  const signIn = await startDemoIdpInitiatedSignIn(db, config, idp, clinicId);
  if (!signIn) return err("unknown_app");
  return answerDemoSignIn(idp, signIn, choice, now);
}
