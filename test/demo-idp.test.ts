import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { deflateRawSync } from "node:zlib";
import { SAML, ValidateInResponseTo } from "@node-saml/node-saml";
import { DOMParser, type Element } from "@xmldom/xmldom";
import type { Clinic } from "../src/clinics/clinic.js";
import { createClinic } from "../src/clinics/clinic.queries.js";
import { loadConfig } from "../src/config.js";
import { migrateToLatest } from "../src/db/migrate.js";
import { openDatabase, type Dialect } from "../src/db/open.js";
import { createDemoIdp, ensureDemoIdpKey, type DemoIdp, type DemoIdpKey } from "../src/demo/demo-idp.js";
import { connectClinicToDemoIdp } from "../src/demo/demo-idp-sign-in.js";
import { DEMO_PEOPLE } from "../src/demo/demo-people.js";
import { findSamlConnection, updateSamlConnectionFlags } from "../src/sso/saml/connection.queries.js";
import { NAMEID_EMAIL, PRESETS } from "../src/sso/saml/presets.js";
import { serviceProviderUrls, type ServiceProviderUrls } from "../src/sso/saml/service-provider.js";
import { verifySamlResponse } from "../src/sso/saml/verify-response.js";
import { addClinicMember } from "../src/users/add-member.js";
import { createTestDatabase, testDialects } from "./support/databases.js";
import { OPERATOR_TOKEN, startTestApp, uniqueSubdomain, type TestApp } from "./support/harness.js";
import { HttpClient, csrfFrom, type HttpResponse } from "./support/http-client.js";

const DSIG_NS = "http://www.w3.org/2000/09/xmldsig#";
const PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";

interface DemoIdpTestApp extends TestApp {
  idp: DemoIdp;
}

/** The real app with the demo IdP routes, as main.ts wires it, on a fresh database. */
async function startAppWithDemoIdp(dialect: Dialect): Promise<DemoIdpTestApp> {
  const t = await startTestApp(dialect, { withDemoIdp: true });
  return { ...t, idp: t.demoIdp! };
}

/** Two starts racing on one fresh database: what each ensureDemoIdpKey call came away with. */
async function raceForDemoIdpKey(dialect: Dialect): Promise<{ keys: DemoIdpKey[]; again: DemoIdpKey }> {
  const database = await createTestDatabase(dialect);
  const { db } = await openDatabase(database.url);
  try {
    await migrateToLatest(db);
    const keys = await Promise.all([ensureDemoIdpKey(db, new Date()), ensureDemoIdpKey(db, new Date())]);
    return { keys, again: await ensureDemoIdpKey(db, new Date()) };
  } finally {
    await db.destroy();
    await database.drop();
  }
}

async function givenClinic(t: DemoIdpTestApp, name: string): Promise<{ clinic: Clinic; sp: ServiceProviderUrls }> {
  const created = await createClinic(t.db, { subdomain: uniqueSubdomain("idp"), name, seats: 5 }, new Date());
  if (!created.ok) throw new Error(created.error);
  return { clinic: created.value, sp: serviceProviderUrls(t.config, created.value.subdomain) };
}

async function givenConnectedClinic(t: DemoIdpTestApp, name = "Acme Health"): Promise<{ clinic: Clinic; sp: ServiceProviderUrls }> {
  const given = await givenClinic(t, name);
  await connectClinicToDemoIdp(t.db, given.clinic.id, t.idp, new Date());
  return given;
}

/** An AuthnRequest URL as our SP's start-login builds it, made by an independent SAML implementation. */
async function authnRequestUrl(
  t: DemoIdpTestApp,
  sp: { entityId: string; acsUrl: string },
  requestId: string,
  relayState = "/dashboard",
): Promise<string> {
  const saml = new SAML({
    generateUniqueId: () => requestId,
    entryPoint: t.idp.ssoUrl,
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    idpCert: t.idp.certificatePem,
    identifierFormat: NAMEID_EMAIL,
    allowCreate: true,
    disableRequestedAuthnContext: true,
    authnRequestBinding: "HTTP-Redirect",
    validateInResponseTo: ValidateInResponseTo.never,
  });
  return saml.getAuthorizeUrlAsync(relayState, undefined, {});
}

/** A hand-made Redirect-binding SAMLRequest: raw DEFLATE, then base64. */
function ssoUrlWithRawRequest(t: DemoIdpTestApp, xml: string): string {
  return `${t.idp.ssoUrl}?SAMLRequest=${encodeURIComponent(deflateRawSync(Buffer.from(xml, "utf8")).toString("base64"))}`;
}

function decodeHtml(value: string): string {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
}

function hiddenField(html: string, name: string): string | null {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html);
  return match ? decodeHtml(match[1]!) : null;
}

function autoPostAction(html: string): string | null {
  const match = /<form method="post" action="([^"]+)" id="auto-post"/.exec(html);
  return match ? decodeHtml(match[1]!) : null;
}

function parseXml(xml: string): Element {
  const root = new DOMParser().parseFromString(xml, "text/xml").documentElement;
  if (!root) throw new Error("not XML");
  return root;
}

function child(parent: Element, namespace: string, localName: string): Element | null {
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    const element = node as Element;
    if (node.nodeType === 1 && element.namespaceURI === namespace && element.localName === localName) return element;
  }
  return null;
}

function descendant(parent: Element, namespace: string, localName: string): Element {
  const found = parent.getElementsByTagNameNS(namespace, localName)[0];
  if (!found) throw new Error(`no ${localName}`);
  return found;
}

/** The enveloped signature directly inside `signed`, covering it by ID, with RSA-SHA256 over SHA-256 digests. */
function assertSignedWithRsaSha256(signed: Element): void {
  const signature = child(signed, DSIG_NS, "Signature");
  assert.ok(signature, `${signed.localName} has its own ds:Signature`);
  assert.equal(descendant(signature, DSIG_NS, "SignatureMethod").getAttribute("Algorithm"), RSA_SHA256);
  assert.equal(descendant(signature, DSIG_NS, "DigestMethod").getAttribute("Algorithm"), SHA256);
  assert.equal(descendant(signature, DSIG_NS, "Reference").getAttribute("URI"), `#${signed.getAttribute("ID")}`);
}

function attributeValues(assertion: Element): Record<string, string> {
  const values: Record<string, string> = {};
  const attributes = assertion.getElementsByTagNameNS(ASSERTION_NS, "Attribute");
  for (let i = 0; i < attributes.length; i++) {
    const attribute = attributes[i]!;
    values[attribute.getAttribute("Name")!] = descendant(attribute, ASSERTION_NS, "AttributeValue").textContent ?? "";
  }
  return values;
}

function verify(t: DemoIdpTestApp, sp: ServiceProviderUrls, samlResponse: string) {
  return verifySamlResponse({
    samlResponse,
    trust: { idpEntityId: t.idp.entityId, certificates: [t.idp.certificatePem] },
    sp: { entityId: sp.entityId, acsUrl: sp.acsUrl },
    attributeNames: PRESETS.okta.attributeNames,
    now: new Date(),
    clockSkewMs: 60_000,
  });
}

function assertRefused(res: HttpResponse, status: number, title: RegExp): void {
  assert.equal(res.status, status);
  assert.match(res.body, title);
  assert.equal(hiddenField(res.body, "SAMLResponse"), null, "no response is produced");
  assert.equal(hiddenField(res.body, "SAMLRequest"), null, "no login form is offered");
  assert.doesNotMatch(res.body, /    at |Error:/, "no stack trace");
}

async function givenMemberFor(t: DemoIdpTestApp, clinic: Clinic, email: string, name: string): Promise<void> {
  const added = await addClinicMember(
    t.db,
    clinic,
    { email, name, role: "provider", roomName: uniqueSubdomain("room") },
    { actor: "test", ip: null },
    new Date(),
  );
  if (!added.ok) throw new Error(added.error);
}

/** What the browser does with the auto-post page: posts its hidden fields to its form action. */
async function followAutoPost(client: HttpClient, page: HttpResponse): Promise<HttpResponse> {
  const action = autoPostAction(page.body);
  assert.ok(action, "an auto-post form");
  const relayState = hiddenField(page.body, "RelayState");
  return client.postForm(action, {
    SAMLResponse: hiddenField(page.body, "SAMLResponse")!,
    ...(relayState === null ? {} : { RelayState: relayState }),
  });
}

const NOAH = DEMO_PEOPLE.find((p) => p.email === "noah@demo-clinic.test")!;
const DANA = DEMO_PEOPLE.find((p) => p.email === "admin@demo-clinic.test")!;

test("the demo IdP refuses to exist in production, whatever NODE_ENV says", async () => {
  const key = { privateKeyPem: "unused", certificatePem: "unused" };
  for (const env of [
    { NODE_ENV: "production" },
    { NODE_ENV: "test", BASE_DOMAIN: "clinics.example.test" },
    { PUBLIC_URL_SCHEME: "https" },
  ]) {
    const config = loadConfig({ ...env, OPERATOR_TOKEN, DEMO: "0", DATABASE_URL: "sqlite::memory:" });
    assert.throws(() => createDemoIdp(config, key), /never runs in production/, JSON.stringify(env));
  }
});

for (const dialect of testDialects()) {
  describe(`demo identity provider (${dialect})`, () => {
    let t: DemoIdpTestApp;
    before(async () => (t = await startAppWithDemoIdp(dialect)));
    after(() => t.close());

    test("makes its key once and reuses it, even when two starts race", async () => {
      const { keys, again } = await raceForDemoIdpKey(dialect);
      const [first, second] = keys as [DemoIdpKey, DemoIdpKey];
      assert.equal(first.certificatePem, second.certificatePem);
      assert.equal(first.privateKeyPem, second.privateKeyPem);
      assert.deepEqual(again, first);
      assert.equal(t.idp.certificatePem, (await ensureDemoIdpKey(t.db, new Date())).certificatePem);
      const certificate = new X509Certificate(first.certificatePem);
      assert.equal(certificate.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
      assert.ok(certificate.checkPrivateKey(createPrivateKey(first.privateKeyPem)));
      assert.match(certificate.subject, /development only/);
    });

    test("serves metadata on the main site naming its entity ID, SSO URL and signing certificate", async () => {
      const res = await t.client().get(t.main("/demo-idp/metadata"));
      assert.equal(res.status, 200);
      assert.match(String(res.headers["content-type"]), /^application\/samlmetadata\+xml/);
      const descriptor = parseXml(res.body);
      assert.equal(descriptor.getAttribute("entityID"), t.idp.entityId);
      assert.equal(t.idp.entityId, t.main("/demo-idp/metadata"));
      const sso = descendant(descriptor, "urn:oasis:names:tc:SAML:2.0:metadata", "SingleSignOnService");
      assert.equal(sso.getAttribute("Location"), t.main("/demo-idp/sso"));
      assert.equal(sso.getAttribute("Binding"), "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect");
      const published = new X509Certificate(
        Buffer.from(descendant(descriptor, DSIG_NS, "X509Certificate").textContent!.replace(/\s+/g, ""), "base64"),
      );
      assert.equal(published.fingerprint256, new X509Certificate(t.idp.certificatePem).fingerprint256);
    });

    test("connects a clinic as an Okta-style redirect connection and leaves JIT and enforcement as they were", async () => {
      const { clinic } = await givenConnectedClinic(t);
      await updateSamlConnectionFlags(t.db, clinic.id, { jitProvisioning: true, enforceSso: true, allowIdpInitiated: false }, new Date());
      await connectClinicToDemoIdp(t.db, clinic.id, t.idp, new Date());
      const connection = await findSamlConnection(t.db, clinic.id);
      assert.ok(connection);
      assert.deepEqual(
        [connection.preset, connection.idpEntityId, connection.idpSsoUrl, connection.idpSsoBinding, connection.source],
        ["okta", t.idp.entityId, t.idp.ssoUrl, "redirect", "demo-idp"],
      );
      assert.equal(connection.certificates[0]?.fingerprintSha256, new X509Certificate(t.idp.certificatePem).fingerprint256);
      assert.deepEqual(
        [connection.enabled, connection.allowIdpInitiated, connection.jitProvisioning, connection.enforceSso],
        [true, true, true, true],
      );
    });

    test("answers a connected clinic's AuthnRequest with a signed response posted to its ACS", async () => {
      const { clinic, sp } = await givenConnectedClinic(t, "Harbour Family Practice");
      const client = t.client();
      const requestUrl = await authnRequestUrl(t, sp, "_request-harbour-1", "/rooms/dr-priya");

      const login = await client.get(requestUrl);
      assert.equal(login.status, 200);
      assert.match(login.body, /Sign in to Harbour Family Practice/);
      assert.match(login.body, /Demo identity provider — development only/);
      for (const person of DEMO_PEOPLE) {
        assert.ok(login.body.includes(`Sign in as ${person.displayName}`), person.displayName);
        assert.ok(login.body.includes(person.email), person.email);
      }
      assert.equal(hiddenField(login.body, "SAMLRequest"), new URL(requestUrl).searchParams.get("SAMLRequest"));
      assert.equal(hiddenField(login.body, "RelayState"), "/rooms/dr-priya");

      const posted = await client.postForm(t.main("/demo-idp/sso"), {
        _csrf: csrfFrom(login.body),
        SAMLRequest: hiddenField(login.body, "SAMLRequest")!,
        RelayState: hiddenField(login.body, "RelayState")!,
        person: NOAH.email,
      });
      assert.equal(posted.status, 200);
      assert.equal(autoPostAction(posted.body), sp.acsUrl);
      assert.equal(sp.acsUrl, t.clinicUrl(clinic.subdomain, "/saml/acs"));
      assert.equal(hiddenField(posted.body, "RelayState"), "/rooms/dr-priya");
      assert.match(posted.body, /<button type="submit">Continue to Harbour Family Practice<\/button>/);
      assert.match(posted.body, /<script src="\/assets\/auto-post\.js" defer/);

      const samlResponse = hiddenField(posted.body, "SAMLResponse")!;
      const response = parseXml(Buffer.from(samlResponse, "base64").toString("utf8"));
      assert.equal(response.namespaceURI, PROTOCOL_NS);
      assert.equal(response.getAttribute("InResponseTo"), "_request-harbour-1");
      assert.equal(response.getAttribute("Destination"), sp.acsUrl);
      assert.equal(child(response, ASSERTION_NS, "Issuer")?.textContent, t.idp.entityId);
      const assertion = child(response, ASSERTION_NS, "Assertion")!;
      assertSignedWithRsaSha256(response);
      assertSignedWithRsaSha256(assertion);
      const confirmation = descendant(assertion, ASSERTION_NS, "SubjectConfirmationData");
      assert.equal(confirmation.getAttribute("Recipient"), sp.acsUrl);
      assert.equal(confirmation.getAttribute("InResponseTo"), "_request-harbour-1");
      assert.equal(descendant(assertion, ASSERTION_NS, "Audience").textContent, sp.entityId);
      const nameId = descendant(assertion, ASSERTION_NS, "NameID");
      assert.deepEqual([nameId.textContent, nameId.getAttribute("Format")], [NOAH.email, NAMEID_EMAIL]);
      assert.deepEqual(attributeValues(assertion), { email: NOAH.email, firstName: "Noah", lastName: "Newcomer" });
      const conditions = descendant(assertion, ASSERTION_NS, "Conditions");
      const lifetimeMs = Date.parse(conditions.getAttribute("NotOnOrAfter")!) - Date.parse(conditions.getAttribute("NotBefore")!);
      assert.equal(lifetimeMs, 5 * 60_000);

      const verified = await verify(t, sp, samlResponse);
      assert.ok(verified.ok, JSON.stringify(!verified.ok && verified.error));
      assert.deepEqual(
        [verified.value.email, verified.value.firstName, verified.value.lastName, verified.value.inResponseTo],
        [NOAH.email, "Noah", "Newcomer", "_request-harbour-1"],
      );
    });

    test("serves nothing on a clinic host", async () => {
      const { clinic, sp } = await givenConnectedClinic(t);
      const client = t.client();
      const requestUrl = new URL(await authnRequestUrl(t, sp, "_request-on-clinic-host"));
      for (const path of ["/demo-idp/metadata", `/demo-idp/sso${requestUrl.search}`, "/demo-idp/apps"]) {
        assert.equal((await client.get(t.clinicUrl(clinic.subdomain, path))).status, 404, path);
      }
      assert.equal(
        (await client.postForm(t.clinicUrl(clinic.subdomain, "/demo-idp/apps"), { clinic: clinic.id, person: DANA.email })).status,
        404,
      );
    });

    test("refuses an AuthnRequest whose Issuer is an SP entity ID it does not know", async () => {
      const res = await t
        .client()
        .get(
          await authnRequestUrl(
            t,
            { entityId: "https://evil.example.test/saml/metadata", acsUrl: "https://evil.example.test/saml/acs" },
            "_evil-1",
          ),
        );
      assertRefused(res, 403, /Unknown application/);
    });

    test("refuses an AuthnRequest from a clinic that is not connected to the demo IdP", async () => {
      const { sp } = await givenClinic(t, "Elsewhere Clinic");
      assertRefused(await t.client().get(await authnRequestUrl(t, sp, "_not-connected-1")), 403, /Unknown application/);
    });

    test("refuses an AuthnRequest that asks for the answer at another ACS URL", async () => {
      const { sp } = await givenConnectedClinic(t);
      const res = await t
        .client()
        .get(await authnRequestUrl(t, { entityId: sp.entityId, acsUrl: "https://evil.example.test/saml/acs" }, "_acs-1"));
      assertRefused(res, 400, /Unexpected return address/);
    });

    test("refuses an AuthnRequest addressed to another identity provider (Destination)", async () => {
      const { sp } = await givenConnectedClinic(t);
      const xml = `<samlp:AuthnRequest xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="_dest-1" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="https://other-idp.example.test/sso"><saml:Issuer>${sp.entityId}</saml:Issuer></samlp:AuthnRequest>`;
      assertRefused(await t.client().get(ssoUrlWithRawRequest(t, xml)), 400, /Sign-in request for another provider/);
    });

    test("refuses SAMLRequests it cannot read: missing, not base64, not deflated, not XML, not schema-valid, with a DOCTYPE", async () => {
      const { sp } = await givenConnectedClinic(t);
      const client = t.client();
      const valid = (attributes: string, body = `<saml:Issuer>${sp.entityId}</saml:Issuer>`) =>
        `<samlp:AuthnRequest xmlns:samlp="${PROTOCOL_NS}" xmlns:saml="${ASSERTION_NS}" ID="_x-1" Version="2.0" IssueInstant="${new Date().toISOString()}"${attributes}>${body}</samlp:AuthnRequest>`;
      // The well-formed, schema-valid request is accepted: the refusals below are about what each one changes.
      assert.equal((await client.get(ssoUrlWithRawRequest(t, valid("")))).status, 200);
      const cases: [string, string][] = [
        ["missing", t.idp.ssoUrl],
        ["twice", `${t.idp.ssoUrl}?SAMLRequest=abc&SAMLRequest=def`],
        ["not base64", `${t.idp.ssoUrl}?SAMLRequest=${encodeURIComponent("<AuthnRequest/>")}`],
        ["not deflated", `${t.idp.ssoUrl}?SAMLRequest=${encodeURIComponent(Buffer.from(valid("")).toString("base64"))}`],
        ["not XML", ssoUrlWithRawRequest(t, "hello, identity provider")],
        ["schema-invalid attribute", ssoUrlWithRawRequest(t, valid(' Surprise="yes"'))],
        ["schema-invalid IssueInstant", ssoUrlWithRawRequest(t, valid("").replace(/IssueInstant="[^"]+"/, 'IssueInstant="yesterday"'))],
        ["a Response, not a request", ssoUrlWithRawRequest(t, valid("").replace(/AuthnRequest/g, "Response"))],
        [
          "two Issuers",
          ssoUrlWithRawRequest(t, valid("", `<saml:Issuer>${sp.entityId}</saml:Issuer><saml:Issuer>${sp.entityId}</saml:Issuer>`)),
        ],
        [
          "DOCTYPE with an entity",
          ssoUrlWithRawRequest(t, `<!DOCTYPE r [<!ENTITY x "${sp.entityId}">]>${valid("", "<saml:Issuer>&x;</saml:Issuer>")}`),
        ],
        // Harmless on its face, and a parser would accept it: refused all the same, as no SAML message has one.
        ["bare DOCTYPE", ssoUrlWithRawRequest(t, `<!DOCTYPE samlp:AuthnRequest>${valid("")}`)],
      ];
      for (const [name, url] of cases) {
        const res = await client.get(url);
        assert.equal(res.status, 400, name);
        assert.match(res.body, /Unreadable sign-in request/, name);
        assert.equal(hiddenField(res.body, "SAMLRequest"), null, name);
      }
    });

    test("refuses a deflate bomb, an oversized SAMLRequest and an oversized RelayState without reading them", async () => {
      const { sp } = await givenConnectedClinic(t);
      const client = t.client();
      const bomb = deflateRawSync(Buffer.alloc(4 * 1024 * 1024, " ")).toString("base64");
      assert.ok(bomb.length < 16 * 1024, "the bomb itself is small");
      assertRefused(await client.get(`${t.idp.ssoUrl}?SAMLRequest=${encodeURIComponent(bomb)}`), 413, /Sign-in request too large/);
      // A URL this long already stops at Node's 16 KiB header limit (431); the hidden form field reaches our own limit.
      const csrf = csrfFrom((await client.get(t.main("/demo-idp/apps"))).body);
      const oversized = await client.postForm(t.idp.ssoUrl, { _csrf: csrf, SAMLRequest: "A".repeat(16 * 1024 + 4), person: DANA.email });
      assertRefused(oversized, 413, /Sign-in request too large/);
      const longRelayState = await authnRequestUrl(t, sp, "_relay-1", `/${"r".repeat(512)}`);
      assertRefused(await client.get(longRelayState), 400, /RelayState/);
    });

    test("refuses a POST without the CSRF token with 403", async () => {
      const { sp } = await givenConnectedClinic(t);
      const samlRequest = new URL(await authnRequestUrl(t, sp, "_csrf-1")).searchParams.get("SAMLRequest")!;
      const res = await t.client().postForm(t.main("/demo-idp/sso"), { SAMLRequest: samlRequest, person: DANA.email });
      assert.equal(res.status, 403);
      assert.equal(hiddenField(res.body, "SAMLResponse"), null);
      const apps = await t.client().postForm(t.main("/demo-idp/apps"), { clinic: "anything", person: DANA.email });
      assert.equal(apps.status, 403);
    });

    test("reads the SAMLRequest again on POST: a hidden field swapped for an unknown SP's request is refused", async () => {
      const { sp } = await givenConnectedClinic(t);
      const client = t.client();
      const login = await client.get(await authnRequestUrl(t, sp, "_swap-1"));
      assert.equal(login.status, 200);
      const foreign = new URL(
        await authnRequestUrl(
          t,
          { entityId: "https://evil.example.test/saml/metadata", acsUrl: "https://evil.example.test/saml/acs" },
          "_swap-2",
        ),
      );
      const res = await client.postForm(t.main("/demo-idp/sso"), {
        _csrf: csrfFrom(login.body),
        SAMLRequest: foreign.searchParams.get("SAMLRequest")!,
        person: DANA.email,
      });
      assertRefused(res, 403, /Unknown application/);
    });

    test("asks again, without answering, when the chosen person is not a demo person", async () => {
      const { sp } = await givenConnectedClinic(t);
      const client = t.client();
      const login = await client.get(await authnRequestUrl(t, sp, "_person-1"));
      const res = await client.postForm(t.main("/demo-idp/sso"), {
        _csrf: csrfFrom(login.body),
        SAMLRequest: hiddenField(login.body, "SAMLRequest")!,
        person: "mallory@evil.example.test",
      });
      assert.equal(res.status, 400);
      assert.match(res.body, /Choose one of the demo people/);
      assert.equal(hiddenField(res.body, "SAMLResponse"), null);
      assert.ok(hiddenField(res.body, "SAMLRequest"), "the login form is offered again");
    });

    test("lists connected clinics on its app dashboard and signs in IdP-initiated, to the dashboard, without InResponseTo", async () => {
      const { clinic, sp } = await givenConnectedClinic(t, "Lakeside Pediatrics");
      await givenClinic(t, "Unconnected Dental");
      const client = t.client();
      const dashboard = await client.get(t.main("/demo-idp/apps"));
      assert.equal(dashboard.status, 200);
      assert.match(dashboard.body, /Lakeside Pediatrics/);
      assert.doesNotMatch(dashboard.body, /Unconnected Dental/);
      assert.ok(dashboard.body.includes(`name="clinic" value="${clinic.id}"`));

      const posted = await client.postForm(t.main("/demo-idp/apps"), {
        _csrf: csrfFrom(dashboard.body),
        clinic: clinic.id,
        person: DANA.email,
      });
      assert.equal(posted.status, 200);
      assert.equal(autoPostAction(posted.body), sp.acsUrl);
      assert.equal(hiddenField(posted.body, "RelayState"), sp.defaultRelayState);
      assert.equal(sp.defaultRelayState, t.clinicUrl(clinic.subdomain, "/dashboard"));
      const samlResponse = hiddenField(posted.body, "SAMLResponse")!;
      const response = parseXml(Buffer.from(samlResponse, "base64").toString("utf8"));
      assert.equal(response.hasAttribute("InResponseTo"), false);
      const assertion = child(response, ASSERTION_NS, "Assertion")!;
      assert.equal(descendant(assertion, ASSERTION_NS, "SubjectConfirmationData").hasAttribute("InResponseTo"), false);
      assertSignedWithRsaSha256(response);
      assertSignedWithRsaSha256(assertion);

      const verified = await verify(t, sp, samlResponse);
      assert.ok(verified.ok, JSON.stringify(!verified.ok && verified.error));
      assert.deepEqual([verified.value.email, verified.value.inResponseTo], [DANA.email, null]);
    });

    test("refuses IdP-initiated sign-in to a clinic that is not connected", async () => {
      const { clinic } = await givenClinic(t, "Unconnected Optometry");
      const client = t.client();
      const dashboard = await client.get(t.main("/demo-idp/apps"));
      const res = await client.postForm(t.main("/demo-idp/apps"), {
        _csrf: csrfFrom(dashboard.body),
        clinic: clinic.id,
        person: DANA.email,
      });
      assertRefused(res, 404, /App not found/);
    });

    test("signs a member in end to end: the clinic's /saml/login, the demo IdP, the real ACS, the clinic dashboard", async () => {
      const { clinic, sp } = await givenConnectedClinic(t, "Riverside Clinic");
      await givenMemberFor(t, clinic, DANA.email, DANA.displayName);
      const client = t.client();
      const start = await client.get(t.clinicUrl(clinic.subdomain, "/saml/login?returnTo=%2Fdashboard"));
      assert.equal(start.status, 302);
      assert.ok(start.location?.startsWith(`${t.idp.ssoUrl}?SAMLRequest=`), String(start.location));
      const login = await client.get(start.location!);
      assert.match(login.body, /Sign in to Riverside Clinic/);
      const autoPost = await client.postForm(t.main("/demo-idp/sso"), {
        _csrf: csrfFrom(login.body),
        SAMLRequest: hiddenField(login.body, "SAMLRequest")!,
        RelayState: hiddenField(login.body, "RelayState") ?? "",
        person: DANA.email,
      });
      assert.equal(autoPostAction(autoPost.body), sp.acsUrl);
      const acs = await followAutoPost(client, autoPost);
      assert.equal(acs.status, 303, acs.body);
      assert.equal(acs.location, "/dashboard");
      const dashboard = await client.get(t.clinicUrl(clinic.subdomain, "/dashboard"));
      assert.equal(dashboard.status, 200);
      assert.match(dashboard.body, /Dana Admin/);
    });

    test("signs a member in IdP-initiated from the app dashboard, landing on the clinic dashboard", async () => {
      const { clinic } = await givenConnectedClinic(t, "Hillside Clinic");
      const priya = DEMO_PEOPLE.find((p) => p.email === "provider@demo-clinic.test")!;
      await givenMemberFor(t, clinic, priya.email, priya.displayName);
      const client = t.client();
      const apps = await client.get(t.main("/demo-idp/apps"));
      const autoPost = await client.postForm(t.main("/demo-idp/apps"), {
        _csrf: csrfFrom(apps.body),
        clinic: clinic.id,
        person: priya.email,
      });
      const acs = await followAutoPost(client, autoPost);
      assert.equal(acs.status, 303, acs.body);
      assert.equal(acs.location, "/dashboard");
      assert.equal((await client.get(t.clinicUrl(clinic.subdomain, "/dashboard"))).status, 200);
    });

    test("a person who is not a member yet is refused by the ACS until the clinic turns JIT provisioning on", async () => {
      const { clinic } = await givenConnectedClinic(t, "Meadow Clinic");
      const client = t.client();
      const signInAsNoah = async () => {
        const apps = await client.get(t.main("/demo-idp/apps"));
        return followAutoPost(
          client,
          await client.postForm(t.main("/demo-idp/apps"), { _csrf: csrfFrom(apps.body), clinic: clinic.id, person: NOAH.email }),
        );
      };
      const refused = await signInAsNoah();
      assert.equal(refused.status, 403);
      assert.match(refused.body, /Your clinic has not added you yet/);
      await updateSamlConnectionFlags(t.db, clinic.id, { jitProvisioning: true }, new Date());
      const provisioned = await signInAsNoah();
      assert.equal(provisioned.status, 303, provisioned.body);
    });

    test("signs in anyone typed on its login page: the README's lee@acme.example finishes an SP-initiated sign-in", async () => {
      const { clinic, sp } = await givenConnectedClinic(t, "Acme Health");
      await givenMemberFor(t, clinic, "lee@acme.example", "Dr. Lee");
      const client = t.client();
      const login = await client.get(await authnRequestUrl(t, sp, "_typed-1"));
      assert.match(login.body, /Or sign in as anyone/);
      const autoPost = await client.postForm(t.main("/demo-idp/sso"), {
        _csrf: csrfFrom(login.body),
        SAMLRequest: hiddenField(login.body, "SAMLRequest")!,
        email: "Lee@Acme.Example",
        name: "Dr. Lee",
      });
      assert.equal(autoPost.status, 200, autoPost.body);
      const xml = Buffer.from(hiddenField(autoPost.body, "SAMLResponse")!, "base64").toString("utf8");
      assert.match(xml, /<saml:NameID[^>]*>lee@acme\.example<\/saml:NameID>/);
    });

    test("refuses a typed email that is not an address, or a missing name, and asks again", async () => {
      const { clinic } = await givenConnectedClinic(t, "Typo Clinic");
      const client = t.client();
      for (const [fields, reason] of [
        [{ email: "lee at acme", name: "Dr. Lee" }, /Type an email address such as lee@acme\.example/],
        [{ email: "lee@acme.example", name: "   " }, /Type the person&#39;s name|Type the person's name/],
      ] as const) {
        const apps = await client.get(t.main("/demo-idp/apps"));
        const res = await client.postForm(t.main("/demo-idp/apps"), { _csrf: csrfFrom(apps.body), clinic: clinic.id, ...fields });
        assert.equal(res.status, 400);
        assert.match(res.body, reason);
        assert.equal(hiddenField(res.body, "SAMLResponse"), null);
      }
    });
  });
}
