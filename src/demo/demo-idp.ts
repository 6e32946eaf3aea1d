/**
 * A built-in SAML identity provider for trying SSO without an Okta tenant. Development only: the app never
 * registers it in production (anything but http on localhost). samlify plays the IdP; nothing here shares code with our SP side.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { inflateRawSync } from "node:zlib";
import samlify from "samlify";
import { generate } from "selfsigned";
import { validateXML } from "xmllint-wasm";
import type { Config } from "../config.js";
import type { Db } from "../db/open.js";
import { mainOrigin } from "../hosts.js";
import { err, ok, type Result } from "../result.js";
import { NAMEID_EMAIL } from "../sso/saml/presets.js";
import type { ServiceProviderUrls } from "../sso/saml/service-provider.js";
import { findDemoIdpKey, insertDemoIdpKey, type DemoIdpKey } from "./demo-idp.queries.js";
import type { DemoPerson } from "./demo-people.js";

export type { DemoIdpKey } from "./demo-idp.queries.js";

const { IdentityProvider, ServiceProvider, SamlLib, Constants } = samlify;

export const MAX_SAML_REQUEST_CHARS = 16 * 1024;
export const MAX_RELAY_STATE_CHARS = 512;
// Deflate can expand 1000-fold: inflate with a ceiling so a 16 KiB request cannot become 16 MB of XML.
const MAX_INFLATED_BYTES = 64 * 1024;
// Okta's default; the SP adds its own clock skew on top.
const ASSERTION_LIFETIME_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

/** The demo IdP's RSA 2048 key and self-signed certificate: made on first start, then reused from the database. */
export async function ensureDemoIdpKey(db: Db, now: Date): Promise<DemoIdpKey> {
  const existing = await findDemoIdpKey(db);
  if (existing) return existing;
  await insertDemoIdpKey(db, await generateDemoIdpKey(now), now);
  // Two starts racing both generate a key; the primary key keeps one, and both re-read the one that was kept.
  const stored = await findDemoIdpKey(db);
  if (!stored) throw new Error("the demo IdP key was neither stored nor found");
  return stored;
}

async function generateDemoIdpKey(now: Date): Promise<DemoIdpKey> {
  const generated = await generate([{ name: "commonName", value: "ClinicRooms demo IdP (development only)" }], {
    keyType: "rsa",
    keySize: 2048,
    algorithm: "sha256",
    // A day back for clock skew; ten years ahead because the key is kept, like a long-lived IdP signing cert.
    notBeforeDate: new Date(now.getTime() - DAY_MS),
    notAfterDate: new Date(now.getTime() + 10 * 365 * DAY_MS),
    // Not a TLS certificate: no host-name SAN (the default), only a signing key.
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, critical: true },
    ],
  });
  return { privateKeyPem: generated.private, certificatePem: generated.cert };
}

export interface AuthnRequestFields {
  id: string;
  issuer: string;
  /** AssertionConsumerServiceURL, when the SP named one. */
  acsUrl: string | null;
  destination: string | null;
}

export interface DemoResponseInput {
  sp: ServiceProviderUrls;
  person: DemoPerson;
  /** The AuthnRequest's ID; null for an unsolicited (IdP-initiated) response, which then has no InResponseTo. */
  inResponseTo: string | null;
  now: Date;
}

export interface DemoIdp {
  readonly entityId: string;
  readonly ssoUrl: string;
  readonly metadataXml: string;
  readonly certificatePem: string;
  /** Parses an HTTP-Redirect SAMLRequest with samlify, schema-validated; an error when it is not a readable AuthnRequest. */
  parseAuthnRequest(samlRequest: string): Promise<Result<AuthnRequestFields, "request_too_large" | "malformed_request">>;
  /** The signed SAMLResponse, base64 for the POST binding, for one person to one clinic's service provider. */
  createResponse(input: DemoResponseInput): Promise<string>;
}

// samlify's default template has no AuthnStatement (an SP may require one) and takes no XML through tags.
const RESPONSE_TEMPLATE =
  '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">' +
  '<saml:Issuer>{Issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{StatusCode}"/></samlp:Status>' +
  '<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="{AssertionID}" Version="2.0" IssueInstant="{IssueInstant}">' +
  "<saml:Issuer>{Issuer}</saml:Issuer>" +
  '<saml:Subject><saml:NameID Format="{NameIDFormat}">{NameID}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">' +
  '<saml:SubjectConfirmationData NotOnOrAfter="{SubjectConfirmationDataNotOnOrAfter}" Recipient="{SubjectRecipient}" InResponseTo="{InResponseTo}"/></saml:SubjectConfirmation></saml:Subject>' +
  '<saml:Conditions NotBefore="{ConditionsNotBefore}" NotOnOrAfter="{ConditionsNotOnOrAfter}"><saml:AudienceRestriction><saml:Audience>{Audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>' +
  '<saml:AuthnStatement AuthnInstant="{IssueInstant}" SessionIndex="{AssertionID}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>' +
  "{AttributeStatement}</saml:Assertion></samlp:Response>";

// Okta's attribute statements as our setup guide has admins type them; samlify fills {attrEmail}, {attrFirstName}, {attrLastName}.
const ATTRIBUTES = (["email", "firstName", "lastName"] as const).map((name) => ({
  name,
  valueTag: name,
  nameFormat: "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
  valueXsiType: "xs:string",
}));

/** The demo IdP, served on the main site under /demo-idp/. */
export function createDemoIdp(config: Config, key: DemoIdpKey): DemoIdp {
  // It signs anyone in as anyone: wiring it into a production start is a bug, stopped here as well as in main.ts.
  if (config.production) throw new Error("the demo identity provider never runs in production");
  // samlify refuses to parse any message until a schema validator is set; the setting is process-wide.
  samlify.setSchemaValidator(createSamlSchemaValidator());
  const entityId = `${mainOrigin(config)}/demo-idp/metadata`;
  const ssoUrl = `${mainOrigin(config)}/demo-idp/sso`;
  const idp = IdentityProvider({
    entityID: entityId,
    privateKey: key.privateKeyPem,
    signingCert: key.certificatePem,
    singleSignOnService: [{ Binding: Constants.namespace.binding.redirect, Location: ssoUrl }],
    // The demo IdP keeps no session, so signing out of it is always already done: /demo-idp/slo says so. Declaring
    // it also answers samlify, which otherwise warns on the console at every start that the endpoint is missing.
    singleLogoutService: [{ Binding: Constants.namespace.binding.redirect, Location: `${mainOrigin(config)}/demo-idp/slo` }],
    nameIDFormat: [NAMEID_EMAIL],
    // RSA-SHA256 signatures; samlify picks the matching SHA-256 digest. Never SHA-1.
    requestSignatureAlgorithm: Constants.algorithms.signature.RSA_SHA256,
    // Our SP never signs its AuthnRequests (start-login.ts: Entra does not fully support signed ones): none asked for.
    wantAuthnRequestsSigned: false,
    // Okta's default: assertions in clear text, protected by signatures and TLS.
    isAssertionEncrypted: false,
    loginResponseTemplate: { context: RESPONSE_TEMPLATE, attributes: ATTRIBUTES },
  });
  // samlify wants the sending SP only to check a request signature; with none asked for, any SP entity parses.
  // The Issuer it reads is then matched by the caller against the clinics connected to this IdP.
  const anySender = ServiceProvider({ entityID: "urn:clinicrooms:demo-idp:unverified-sender" });

  return {
    entityId,
    ssoUrl,
    metadataXml: idp.getMetadata(),
    certificatePem: key.certificatePem,

    async parseAuthnRequest(samlRequest) {
      const inflated = inflateWithinLimit(samlRequest);
      if (!inflated.ok) return inflated;
      // A SAML message never has a DOCTYPE: refusing it outright stops entity expansion and XXE.
      if (/<!DOCTYPE/i.test(inflated.value)) return err("malformed_request");
      let extract: Record<string, unknown>;
      try {
        const parsed = await idp.parseLoginRequest(anySender, "redirect", { query: { SAMLRequest: samlRequest } });
        extract = parsed.extract as Record<string, unknown>;
      } catch {
        return err("malformed_request");
      }
      const request = (extract.request ?? {}) as Record<string, unknown>;
      const { id, destination, assertionConsumerServiceUrl: acsUrl } = request;
      // Two Issuer elements or two IDs come back as arrays: not a request any SP sends.
      if (typeof id !== "string" || id === "" || typeof extract.issuer !== "string" || extract.issuer === "")
        return err("malformed_request");
      if ((acsUrl !== undefined && typeof acsUrl !== "string") || (destination !== undefined && typeof destination !== "string"))
        return err("malformed_request");
      return ok({ id, issuer: extract.issuer, acsUrl: acsUrl ?? null, destination: destination ?? null });
    },

    async createResponse({ sp, person, inResponseTo, now }) {
      const notOnOrAfter = new Date(now.getTime() + ASSERTION_LIFETIME_MS).toISOString();
      const tags = {
        ID: newSamlId(),
        AssertionID: newSamlId(),
        IssueInstant: now.toISOString(),
        // Destination and Recipient are the clinic's registered ACS, never an address taken from the request.
        Destination: sp.acsUrl,
        SubjectRecipient: sp.acsUrl,
        Audience: sp.entityId,
        // undefined drops the attribute: an unsolicited response carries no InResponseTo at all.
        InResponseTo: inResponseTo ?? undefined,
        Issuer: entityId,
        StatusCode: Constants.StatusCode.Success,
        NameIDFormat: NAMEID_EMAIL,
        NameID: person.email,
        ConditionsNotBefore: now.toISOString(),
        ConditionsNotOnOrAfter: notOnOrAfter,
        SubjectConfirmationDataNotOnOrAfter: notOnOrAfter,
        attrEmail: person.email,
        attrFirstName: person.firstName,
        attrLastName: person.lastName,
      };
      const target = ServiceProvider({
        entityID: sp.entityId,
        assertionConsumerService: [{ Binding: Constants.namespace.binding.post, Location: sp.acsUrl }],
        // Okta signs the assertion and the whole Response: so does the demo, so the ACS sees what production sees.
        wantAssertionsSigned: true,
        wantMessageSigned: true,
      });
      const { context } = await idp.createLoginResponse(
        target,
        { extract: { request: { id: inResponseTo ?? "" } } },
        "post",
        { email: person.email },
        {
          // samlify escapes every tag value for XML, so no name or address can inject markup.
          customTagReplacement: (template) => ({ id: tags.ID, context: SamlLib.replaceTagsByValue(template, tags) }),
        },
      );
      return context;
    },
  };
}

function newSamlId(): string {
  // An xs:ID must not start with a digit.
  return `_${randomBytes(20).toString("hex")}`;
}

function inflateWithinLimit(samlRequest: string): Result<string, "request_too_large" | "malformed_request"> {
  if (samlRequest.length > MAX_SAML_REQUEST_CHARS) return err("request_too_large");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(samlRequest)) return err("malformed_request");
  try {
    return ok(inflateRawSync(Buffer.from(samlRequest, "base64"), { maxOutputLength: MAX_INFLATED_BYTES }).toString("utf8"));
  } catch (error) {
    return err((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ? "request_too_large" : "malformed_request");
  }
}

const SCHEMA_FILES = [
  "saml-schema-protocol-2.0.xsd",
  "saml-schema-assertion-2.0.xsd",
  "xmldsig-core-schema.xsd",
  "xenc-schema.xsd",
  "XMLSchema.dtd",
  "datatypes.dtd",
];

/**
 * libxml2's xmllint (WebAssembly, in a worker with a memory cap) against the SAML 2.0 schemas that
 * @authenio/samlify-xmllint-wasm ships. Not that module's validate(): it prints the errors, which quote the message.
 */
function createSamlSchemaValidator(): { validate(xml: string): Promise<string> } {
  const packageJson = createRequire(import.meta.url).resolve("@authenio/samlify-xmllint-wasm/package.json");
  const directory = join(dirname(packageJson), "build", "schemas");
  const [schema, ...preload] = SCHEMA_FILES.map((fileName) => ({ fileName, contents: readFileSync(join(directory, fileName), "utf8") }));
  return {
    async validate(xml) {
      const result = await validateXML({
        xml: [{ fileName: "message.xml", contents: xml }],
        extension: "schema",
        schema: [schema!],
        preload,
      }).catch(() => null);
      if (!result?.valid) throw new Error("ERR_SCHEMA_VALIDATION");
      return "SUCCESS_VALIDATE_XML";
    },
  };
}
