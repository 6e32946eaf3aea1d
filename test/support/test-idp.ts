/**
 * A real, independent SAML IdP for tests: samlify builds and signs the responses with a key pair made at
 * test time. Nothing here shares code with the verifier under test.
 */
import { randomUUID } from "node:crypto";
import samlify from "samlify";
import { generate } from "selfsigned";

export type SigningMode = "response" | "assertion" | "both" | "none";

export interface BuildResponseOptions {
  spEntityId: string;
  acsUrl: string;
  email: string;
  inResponseTo?: string;
  /** NameID value; defaults to `email` (Okta/Entra with an email NameID). */
  nameId?: string;
  nameIdFormat?: string;
  attributes?: Record<string, string>;
  /** Which element samlify signs; 'none' renders the same template unsigned. Default 'both' (Okta). */
  signing?: SigningMode;
  signatureAlgorithm?: "sha256" | "sha1";
  /** Issuer of both the Response and the Assertion; defaults to the IdP's entity ID. */
  issuer?: string;
  /** Overrides the Response's Issuer only; null leaves it out (then sign the assertion only). */
  responseIssuer?: string | null;
  audience?: string;
  /** Response Destination; null leaves the attribute out. Defaults to acsUrl. */
  destination?: string | null;
  recipient?: string;
  /** SubjectConfirmation Method; defaults to bearer, the only one Web Browser SSO uses. */
  subjectConfirmationMethod?: string;
  status?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  subjectNotOnOrAfter?: Date;
  assertionId?: string;
  now?: Date;
}

export interface TestIdp {
  entityId: string;
  ssoUrl: string;
  certificatePem: string;
  metadataXml: string;
  /** Returns the base64 SAMLResponse exactly as an IdP would POST it. */
  buildResponse(options: BuildResponseOptions): Promise<string>;
}

export const NAME_ID_EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
export const NAME_ID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
export const NAME_ID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
export const STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";

const { IdentityProvider, ServiceProvider, SamlLib, Constants } = samlify;
const POST_BINDING = Constants.namespace.binding.post;
const REDIRECT_BINDING = Constants.namespace.binding.redirect;
const SIGNATURE_ALGORITHMS = {
  sha256: Constants.algorithms.signature.RSA_SHA256,
  sha1: Constants.algorithms.signature.RSA_SHA1,
} as const;
const FIVE_MINUTES_MS = 5 * 60 * 1000;

// Every field an attack may need to change is a placeholder; samlify fills and XML-escapes them.
const RESPONSE_TEMPLATE =
  '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{ID}" Version="2.0" IssueInstant="{IssueInstant}" Destination="{Destination}" InResponseTo="{InResponseTo}">' +
  "<saml:Issuer>{ResponseIssuer}</saml:Issuer>" +
  '<samlp:Status><samlp:StatusCode Value="{StatusCode}"/></samlp:Status>' +
  '<saml:Assertion xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema" ID="{AssertionID}" Version="2.0" IssueInstant="{IssueInstant}">' +
  "<saml:Issuer>{Issuer}</saml:Issuer>" +
  '<saml:Subject><saml:NameID Format="{NameIDFormat}">{NameID}</saml:NameID>' +
  '<saml:SubjectConfirmation Method="{SubjectConfirmationMethod}">' +
  '<saml:SubjectConfirmationData NotOnOrAfter="{SubjectConfirmationDataNotOnOrAfter}" Recipient="{SubjectRecipient}" InResponseTo="{InResponseTo}"/>' +
  "</saml:SubjectConfirmation></saml:Subject>" +
  '<saml:Conditions NotBefore="{ConditionsNotBefore}" NotOnOrAfter="{ConditionsNotOnOrAfter}">' +
  "<saml:AudienceRestriction><saml:Audience>{Audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>" +
  '<saml:AuthnStatement AuthnInstant="{IssueInstant}" SessionIndex="{AssertionID}"><saml:AuthnContext>' +
  "<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>" +
  "</saml:AuthnContext></saml:AuthnStatement>" +
  "{AttributeStatement}" +
  "</saml:Assertion></samlp:Response>";

/** Creates an IdP with its own freshly generated RSA key and self-signed certificate. */
export async function createTestIdp(opts: { entityId?: string; ssoUrl?: string } = {}): Promise<TestIdp> {
  const entityId = opts.entityId ?? `https://idp-${randomUUID()}.example.test/metadata`;
  const ssoUrl = opts.ssoUrl ?? `${entityId.replace(/\/metadata$/, "")}/sso`;
  const keys = await generate([{ name: "commonName", value: hostnameOf(entityId) }], {
    keySize: 2048,
    algorithm: "sha256",
  });
  const identity = { entityId, ssoUrl, certificatePem: keys.cert, privateKeyPem: keys.private };
  return {
    entityId,
    ssoUrl,
    certificatePem: keys.cert,
    metadataXml: samlifyIdp(identity, "sha256", {}).getMetadata(),
    buildResponse: (options) => buildResponse(identity, options),
  };
}

function hostnameOf(entityId: string): string {
  try {
    return new URL(entityId).hostname || "test-idp.example.test";
  } catch {
    return "test-idp.example.test";
  }
}

interface IdpIdentity {
  entityId: string;
  ssoUrl: string;
  certificatePem: string;
  privateKeyPem: string;
}

async function buildResponse(identity: IdpIdentity, o: BuildResponseOptions): Promise<string> {
  const signing = o.signing ?? "both";
  const attributes = o.attributes ?? {};
  const idp = samlifyIdp(identity, o.signatureAlgorithm ?? "sha256", attributes);
  const tags = responseTags(identity, o, attributes);
  if (signing === "none") {
    const template = idp.entitySetting.loginResponseTemplate?.context ?? RESPONSE_TEMPLATE;
    const unsigned = SamlLib.replaceTagsByValue(template, tags);
    return Buffer.from(unsigned, "utf8").toString("base64");
  }
  const sp = ServiceProvider({
    entityID: o.spEntityId,
    assertionConsumerService: [{ Binding: POST_BINDING, Location: o.acsUrl }],
    // samlify signs the assertion when the SP wants it, and the Response when the SP wants that or
    // does not want the assertion signed.
    wantAssertionsSigned: signing !== "response",
    wantMessageSigned: signing === "both",
  });
  const request = { extract: { request: { id: o.inResponseTo ?? "" } } };
  const { context } = await idp.createLoginResponse(
    sp,
    request,
    "post",
    { email: o.email },
    {
      customTagReplacement: (template: string) => ({
        id: String(tags.ID),
        context: SamlLib.replaceTagsByValue(template, tags),
      }),
    },
  );
  return context;
}

function samlifyIdp(identity: IdpIdentity, algorithm: "sha256" | "sha1", attributes: Record<string, string>) {
  const names = Object.keys(attributes);
  return IdentityProvider({
    entityID: identity.entityId,
    privateKey: identity.privateKeyPem,
    signingCert: identity.certificatePem,
    singleSignOnService: [{ Binding: POST_BINDING, Location: identity.ssoUrl }],
    singleLogoutService: [{ Binding: REDIRECT_BINDING, Location: `${identity.ssoUrl}/logout` }],
    requestSignatureAlgorithm: SIGNATURE_ALGORITHMS[algorithm],
    nameIDFormat: [NAME_ID_EMAIL],
    loginResponseTemplate: {
      // samlify turns `attributes` into an AttributeStatement with {attrValueN} placeholders; with none,
      // the placeholder goes, as an empty AttributeStatement would break the schema.
      context: names.length > 0 ? RESPONSE_TEMPLATE : RESPONSE_TEMPLATE.replace("{AttributeStatement}", ""),
      attributes: names.map((name, index) => ({
        name,
        nameFormat: name.includes(":")
          ? "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
          : "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
        valueTag: `value${index}`,
        valueXsiType: "xs:string",
      })),
    },
  });
}

function responseTags(
  identity: IdpIdentity,
  o: BuildResponseOptions,
  attributes: Record<string, string>,
): Record<string, string | undefined> {
  const now = o.now ?? new Date();
  const iso = (date: Date) => date.toISOString();
  const tags: Record<string, string | undefined> = {
    ID: `_${randomUUID()}`,
    AssertionID: o.assertionId ?? `_${randomUUID()}`,
    IssueInstant: iso(now),
    Destination: o.destination === null ? undefined : (o.destination ?? o.acsUrl),
    InResponseTo: o.inResponseTo,
    Issuer: o.issuer ?? identity.entityId,
    ResponseIssuer: o.responseIssuer === null ? undefined : (o.responseIssuer ?? o.issuer ?? identity.entityId),
    StatusCode: o.status ?? STATUS_SUCCESS,
    NameIDFormat: o.nameIdFormat ?? NAME_ID_EMAIL,
    NameID: o.nameId ?? o.email,
    SubjectRecipient: o.recipient ?? o.acsUrl,
    SubjectConfirmationMethod: o.subjectConfirmationMethod ?? "urn:oasis:names:tc:SAML:2.0:cm:bearer",
    SubjectConfirmationDataNotOnOrAfter: iso(o.subjectNotOnOrAfter ?? new Date(now.getTime() + FIVE_MINUTES_MS)),
    ConditionsNotBefore: iso(o.notBefore ?? now),
    ConditionsNotOnOrAfter: iso(o.notOnOrAfter ?? new Date(now.getTime() + FIVE_MINUTES_MS)),
    Audience: o.audience ?? o.spEntityId,
  };
  Object.values(attributes).forEach((value, index) => {
    tags[`attrValue${index}`] = value;
  });
  return tags;
}
