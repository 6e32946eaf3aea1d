import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generate } from "selfsigned";
import { testDialects } from "./support/databases.js";
import { givenClinic, startTestApp, type TestApp } from "./support/harness.js";
import { createTestIdp, type TestIdp } from "./support/test-idp.js";
import { idpMetadataXml, pemBody, startIdpMetadataHost, type IdpMetadataHost } from "./support/idp-metadata-host.js";

const idpMetadata = (entityId: string, ssoUrl: string, certificates: string[]) =>
  idpMetadataXml(entityId, ssoUrl, certificates, { full: true });

for (const dialect of testDialects()) {
  describe(`operator API: SAML connection (${dialect})`, () => {
    let t: TestApp;
    let idp: TestIdp;
    let nextIdp: TestIdp;
    let host: IdpMetadataHost;
    before(async () => {
      idp = await createTestIdp({ entityId: "http://www.okta.com/exk1test", ssoUrl: "https://acme.okta.example/app/sso/saml" });
      nextIdp = await createTestIdp({ entityId: "http://www.okta.com/exk1test" });
      host = await startIdpMetadataHost();
      host.serve("/metadata.xml", idpMetadata(idp.entityId, idp.ssoUrl, [idp.certificatePem, nextIdp.certificatePem]));
      host.serve("/huge", "<x>".padEnd(2_000_000, " "));
      t = await startTestApp(dialect);
    });
    after(async () => {
      await host.close();
      await t?.close();
    });

    const put = (subdomain: string, body: unknown) =>
      t.client().postJson(t.main(`/api/v1/clinics/${subdomain}/sso/saml`), body, t.operator, "PUT");

    test("configured by SSO URL and certificate, GET answers every value of the contract", async () => {
      const clinic = await givenClinic(t);
      const res = await put(clinic.subdomain, {
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCertificates: [idp.certificatePem],
        preset: "okta",
      });
      assert.equal(res.status, 200);
      const got = (await t.client().get(t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`), t.operator)).json();
      const origin = t.clinicUrl(clinic.subdomain, "").replace(/\/$/, "");
      assert.equal(got.acsUrl, `${origin}/saml/acs`);
      assert.equal(got.spEntityId, `${origin}/saml/metadata`);
      assert.equal(got.spMetadataUrl, `${origin}/saml/metadata`);
      assert.equal(got.defaultRelayState, `${origin}/dashboard`);
      assert.equal(got.signInPageUrl, `${origin}/sign-in`);
      assert.equal(got.loginUrl, `${origin}/saml/login`);
      assert.equal(got.nameIdFormat, "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress");
      assert.equal(got.attributeStatements[0].name, "email");
      assert.equal(got.idp.entityId, idp.entityId);
      assert.equal(got.idp.ssoUrl, idp.ssoUrl);
      assert.match(got.idp.certificates[0].fingerprintSha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      assert.match(got.idp.certificates[0].subject, /CN=/);
      assert.ok(Date.parse(got.idp.certificates[0].notAfter) > Date.now());
      assert.deepEqual([got.enabled, got.allowIdpInitiated], [true, true]);
    });

    test("accepts a certificate as base64 DER without PEM headers (Entra's Certificate (Base64))", async () => {
      const clinic = await givenClinic(t);
      const res = await put(clinic.subdomain, {
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCertificates: [pemBody(idp.certificatePem)],
      });
      assert.equal(res.status, 200);
    });

    test("configured from pasted metadata XML: redirect binding preferred, both rollover certificates trusted", async () => {
      const clinic = await givenClinic(t);
      const res = await put(clinic.subdomain, {
        metadataXml: idpMetadata(idp.entityId, idp.ssoUrl, [idp.certificatePem, nextIdp.certificatePem]),
        preset: "entra",
      });
      assert.equal(res.status, 200);
      assert.equal(res.json().idp.ssoUrl, idp.ssoUrl);
      assert.equal(res.json().idp.certificates.length, 2);
    });

    test("configured from a metadata URL fetched by the server", async () => {
      const clinic = await givenClinic(t);
      const res = await put(clinic.subdomain, { metadataUrl: host.url("/metadata.xml") });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.json().idp.entityId, idp.entityId);
    });

    test("a metadata URL that answers 404, or more than 1 MB, is refused with its reason", async () => {
      const clinic = await givenClinic(t);
      const missing = await put(clinic.subdomain, { metadataUrl: host.url("/nope") });
      assert.equal(missing.status, 400);
      assert.match(missing.json().message, /answered HTTP 404/);
      const huge = await put(clinic.subdomain, { metadataUrl: host.url("/huge") });
      assert.match(huge.json().message, /more than 1 MB/);
    });

    test("a certificate that does not parse, or a private key, is refused saying exactly that", async () => {
      const clinic = await givenClinic(t);
      const bad = await put(clinic.subdomain, {
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCertificates: ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"],
      });
      assert.equal(bad.status, 400);
      assert.match(bad.json().message, /idpCertificates\.0: the certificate could not be read as X\.509/);
      const key = await put(clinic.subdomain, {
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCertificates: ["-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"],
      });
      assert.match(key.json().message, /this is a private key, not a certificate/);
    });

    test("bad metadata is refused with what is wrong, and a DOCTYPE never reaches a parser", async () => {
      const clinic = await givenClinic(t);
      const notIdp = await put(clinic.subdomain, {
        metadataXml: `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor/></md:EntityDescriptor>`,
      });
      assert.match(notIdp.json().message, /no EntityDescriptor with an IDPSSODescriptor/);
      const xxe = await put(clinic.subdomain, {
        metadataXml: `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`,
      });
      assert.match(xxe.json().message, /DOCTYPE or ENTITY/);
      const broken = await put(clinic.subdomain, { metadataXml: "<md:EntityDescriptor" });
      assert.equal(broken.status, 400);
    });

    test("exactly one way of configuring per request, and unknown fields refused", async () => {
      const clinic = await givenClinic(t);
      const both = await put(clinic.subdomain, { metadataXml: "<x/>", metadataUrl: "https://x.example/m" });
      assert.match(both.json().message, /exactly one of/);
      const partial = await put(clinic.subdomain, { idpEntityId: "x" });
      assert.deepEqual(Object.keys(partial.json().fields).sort(), ["idpCertificates", "idpSsoUrl"]);
      const unknown = await put(clinic.subdomain, { metadataUrl: "https://x.example/m", colour: "red" });
      assert.equal(unknown.json().fields.colour, "is not a known field");
    });

    test("a certificate expiring within 30 days is flagged", async () => {
      const clinic = await givenClinic(t);
      const notAfterDate = new Date(Date.now() + 10 * 86_400_000);
      const shortLived = await generate([{ name: "commonName", value: "expiring.idp.test" }], {
        keySize: 2048,
        algorithm: "sha256",
        notAfterDate,
      });
      const res = await put(clinic.subdomain, {
        idpEntityId: idp.entityId,
        idpSsoUrl: idp.ssoUrl,
        idpCertificates: [shortLived.cert, idp.certificatePem],
      });
      assert.equal(res.status, 200, res.body);
      const [soon, fine] = res.json().idp.certificates;
      assert.deepEqual([soon.expiringSoon, fine.expiringSoon], [true, false]);
      assert.ok(soon.daysUntilExpiry <= 10);
    });

    test("PATCH changes only the flags it names", async () => {
      const clinic = await givenClinic(t);
      await put(clinic.subdomain, { idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: [idp.certificatePem] });
      const res = await t
        .client()
        .postJson(t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`), { allowIdpInitiated: false }, t.operator, "PATCH");
      assert.equal(res.status, 200);
      assert.deepEqual([res.json().enabled, res.json().allowIdpInitiated, res.json().idp.entityId], [true, false, idp.entityId]);
      const empty = await t.client().postJson(t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`), {}, t.operator, "PATCH");
      assert.equal(empty.status, 400);
    });

    test("the SP metadata document is valid SAML metadata for this clinic", async () => {
      const clinic = await givenClinic(t);
      const res = await t.client().get(t.clinicUrl(clinic.subdomain, "/saml/metadata"));
      assert.equal(res.status, 200);
      assert.match(String(res.headers["content-type"]), /application\/samlmetadata\+xml/);
      assert.match(res.body, new RegExp(`entityID="${t.clinicUrl(clinic.subdomain, "/saml/metadata")}"`));
      assert.match(res.body, /<SPSSODescriptor[^>]*WantAssertionsSigned="true"/);
      assert.match(res.body, /<NameIDFormat>urn:oasis:names:tc:SAML:1\.1:nameid-format:emailAddress<\/NameIDFormat>/);
      assert.match(
        res.body,
        new RegExp(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${t.clinicUrl(clinic.subdomain, "/saml/acs")}"`),
      );
    });
  });

  describe(`operator API: SAML connection in production (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect, { env: { NODE_ENV: "production" } })));
    after(() => t.close());

    test("a non-https SSO URL or metadata URL is refused outside development", async () => {
      const idp = await createTestIdp();
      const clinic = await givenClinic(t);
      const url = t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`);
      const sso = await t
        .client()
        .postJson(
          url,
          { idpEntityId: idp.entityId, idpSsoUrl: "http://idp.example/sso", idpCertificates: [idp.certificatePem] },
          t.operator,
          "PUT",
        );
      assert.equal(sso.status, 400);
      assert.match(sso.json().message, /must start with https:\/\//);
      const metadata = await t.client().postJson(url, { metadataUrl: "http://idp.example/metadata" }, t.operator, "PUT");
      assert.match(metadata.json().message, /metadataUrl: the metadata URL must start with https:\/\//);
    });

    test("a metadata URL on a private or local address is refused (no SSRF)", async () => {
      const clinic = await givenClinic(t);
      const res = await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`),
          { metadataUrl: "https://127.0.0.1:9/metadata" },
          t.operator,
          "PUT",
        );
      assert.equal(res.status, 400);
      assert.match(res.json().message, /private or local address/);
      const byName = await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`),
          { metadataUrl: "https://localhost:9/metadata" },
          t.operator,
          "PUT",
        );
      assert.match(byName.json().message, /private or local address/, "a name that resolves to loopback is refused too");
    });
  });
}
