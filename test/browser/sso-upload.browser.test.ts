import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:http";
import { inflateRawSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { browserSkipReason, signInOnClinicPage, startAppInChromium, stopAppInChromium } from "../support/browser.js";
import { freePort, givenClinic, givenMember, type TestApp } from "../support/harness.js";
import { VIEWPORTS, checkPage, type ViewportName } from "../support/page-checks.js";
import { createTestIdp, type TestIdp } from "../support/test-idp.js";

const WRONG_AUDIENCE = "https://clinicrooms.example/typo-in-okta";

// A clinic admin connects the demo IdP by uploading its metadata file, tests it, turns it on; then connects an
// IdP whose app was given the wrong Audience URI (uploading its binary .cer certificate) and reads the diagnosis.
describe("a clinic admin uploads the IdP's files in Chromium", { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Browser;
  let mistyped: TestIdp;
  let server: Server;
  before(async () => {
    ({ t, browser } = await startAppInChromium({ withDemoIdp: true }));
    ({ idp: mistyped, server } = await startMistypedIdp());
  });
  after(async () => {
    server?.close();
    await stopAppInChromium({ t, browser });
  });

  async function newPage(viewport: ViewportName): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: VIEWPORTS[viewport] });
    return { context, page: await context.newPage() };
  }

  /**
   * The mistyped IdP's sign-in page, a real server on 127.0.0.1: it answers the AuthnRequest with a response the
   * independent test IdP signs for the Audience its admin typed, posted to the ACS the request names.
   */
  async function startMistypedIdp(): Promise<{ idp: TestIdp; server: Server }> {
    const port = await freePort();
    const idp = await createTestIdp({ entityId: "https://mistyped-idp.test/metadata", ssoUrl: `http://127.0.0.1:${port}/sso` });
    const server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? "/", idp.ssoUrl);
        // Only the SSO URL with a request answers; the browser's other asks (favicon) get nothing.
        if (url.pathname !== "/sso" || !url.searchParams.get("SAMLRequest")) {
          res.writeHead(404).end();
          return;
        }
        const request = inflateRawSync(Buffer.from(url.searchParams.get("SAMLRequest") ?? "", "base64")).toString("utf8");
        const acsUrl = /AssertionConsumerServiceURL="([^"]+)"/.exec(request)![1]!;
        const response = await idp.buildResponse({
          spEntityId: WRONG_AUDIENCE,
          acsUrl,
          email: "dana@example.test",
          inResponseTo: /ID="([^"]+)"/.exec(request)![1]!,
        });
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
        res.end(`<!doctype html><html lang="en"><head><title>Mistyped IdP</title></head><body><main><h1>Mistyped IdP</h1>
<form method="post" action="${acsUrl}"><input type="hidden" name="SAMLResponse" value="${response}">
<button type="submit">Continue to the clinic</button></form></main></body></html>`);
      })().catch(() => res.writeHead(400).end());
    });
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return { idp, server };
  }

  for (const viewport of ["desktop", "phone"] as const) {
    test(`${viewport}: upload the metadata file, test, turn on; then a wrong audience and its diagnosis`, async () => {
      const clinic = await givenClinic(t, 5, "Upload Family Clinic");
      const s = clinic.subdomain;
      const email = `dana@${s}.example`;
      await givenMember(t, clinic, { email, name: "Dana Admin", role: "admin", roomName: `dana-${s}` });
      const { context, page } = await newPage(viewport);
      await signInOnClinicPage(page, t, s, email);

      await page.goto(t.clinicUrl(s, "/settings/sso/connect?idp=okta"));
      await page.getByLabel("Metadata XML: upload the file, or paste it").check();
      await page.getByLabel("Metadata file (.xml)").setInputFiles({
        name: "demo-idp-metadata.xml",
        mimeType: "text/xml",
        buffer: Buffer.from(t.demoIdp!.metadataXml),
      });
      await checkPage(page, "sso-upload-1-metadata-file-chosen", viewport);
      await page.getByRole("button", { name: "Save the identity provider" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso"));
      assert.match(
        (await page.textContent("main")) ?? "",
        new RegExp(`Saved ${t.demoIdp!.entityId.replace(/[.?/]/g, "\\$&")} as your identity provider`),
      );
      await checkPage(page, "sso-upload-2-saved", viewport);

      await page.getByRole("button", { name: "Test sign-in" }).click();
      await page.waitForURL(/\/demo-idp\/sso\?/);
      await page.getByLabel("Email").fill(email);
      await page.getByLabel("Name").fill("Dana Admin");
      await page.getByRole("button", { name: "Sign in as this person" }).click();
      await page.waitForURL(t.clinicUrl(s, "/saml/acs"));
      assert.match((await page.textContent("main")) ?? "", /The test sign-in worked/);
      await checkPage(page, "sso-upload-3-test-passed", viewport);

      await page.getByRole("link", { name: "Back to single sign-on settings" }).click();
      await page.locator('form[action="/settings/sso/enabled"]').getByRole("button", { name: "Turn on" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso"));
      assert.match((await page.textContent("main")) ?? "", /Single sign-on is now on\./);
      await checkPage(page, "sso-upload-4-turned-on", viewport);

      // A refusal first: a file that is no certificate gets a sentence beside its field, and nothing is saved.
      await page.getByRole("link", { name: "Change the identity provider" }).click();
      await page.getByLabel(/^Identity Provider Single Sign-On URL and/).check();
      await page.getByLabel("Identity Provider Single Sign-On URL", { exact: true }).fill(mistyped.ssoUrl);
      await page.getByLabel("Identity Provider Issuer", { exact: true }).fill(mistyped.entityId);
      await page.getByLabel("X.509 Certificate (the .cert download): its file").setInputFiles({
        name: "okta.cer",
        mimeType: "application/pkix-cert",
        buffer: Buffer.from("not a certificate at all, just words"),
      });
      await page.getByRole("button", { name: "Save the identity provider" }).click();
      assert.match((await page.textContent("main")) ?? "", /Not saved: This file is not a certificate/);
      await checkPage(page, "sso-upload-5-refused", viewport);

      // The IdP's side, typed wrong on purpose: its app sends an Audience that is not our SP entity ID.
      await page.getByLabel(/^Identity Provider Single Sign-On URL and/).check();
      await page.getByLabel("Identity Provider Single Sign-On URL", { exact: true }).fill(mistyped.ssoUrl);
      await page.getByLabel("Identity Provider Issuer", { exact: true }).fill(mistyped.entityId);
      await page.getByLabel("X.509 Certificate (the .cert download): its file").setInputFiles({
        name: "okta.cer",
        mimeType: "application/pkix-cert",
        buffer: new X509Certificate(mistyped.certificatePem).raw,
      });
      await page.getByRole("button", { name: "Save the identity provider" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso"));
      await page.getByRole("button", { name: "Test sign-in" }).click();
      await page.waitForURL((url) => `${url.origin}${url.pathname}` === mistyped.ssoUrl);
      await page.getByRole("button", { name: "Continue to the clinic" }).click();
      await page.waitForURL(t.clinicUrl(s, "/saml/acs"));
      const diagnosis = (await page.textContent("main")) ?? "";
      const ours = t.clinicUrl(s, "/saml/metadata");
      assert.match(diagnosis, /The test sign-in failed/);
      assert.ok(diagnosis.includes(`Okta sent Audience ${WRONG_AUDIENCE}; we expect ${ours}`), diagnosis);
      const row = page.getByRole("row", { name: /Audience/ });
      assert.equal(await row.getByRole("cell").nth(0).textContent(), WRONG_AUDIENCE, "their value");
      assert.equal(await row.getByRole("cell").nth(1).textContent(), ours, "our value, beside it");
      assert.ok(diagnosis.includes(`Set Audience URI (SP Entity ID) to ${ours}`), "the fix in Okta's words");
      await checkPage(page, "sso-upload-6-wrong-audience", viewport);
      await context.close();
    });
  }

  for (const viewport of ["desktop", "phone"] as const) {
    test(`${viewport}: stage the next certificate from its file, then remove the old one`, async () => {
      const clinic = await givenClinic(t, 5, "Rollover Clinic");
      const s = clinic.subdomain;
      const email = `dana@${s}.example`;
      await givenMember(t, clinic, { email, name: "Dana Admin", role: "admin", roomName: `dana-${s}` });
      const current = await createTestIdp({ entityId: `https://idp.test/${s}`, ssoUrl: `https://idp.test/${s}/sso` });
      const next = await createTestIdp({ entityId: current.entityId, ssoUrl: current.ssoUrl });
      const put = await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${s}/sso/saml`),
          { idpEntityId: current.entityId, idpSsoUrl: current.ssoUrl, idpCertificates: [current.certificatePem], preset: "okta" },
          t.operator,
          "PUT",
        );
      assert.equal(put.status, 200);
      const { context, page } = await newPage(viewport);
      await signInOnClinicPage(page, t, s, email);
      await page.goto(t.clinicUrl(s, "/settings/sso"));
      await page.getByLabel("Next certificate file").setInputFiles({
        name: "next.cer",
        mimeType: "application/pkix-cert",
        buffer: new X509Certificate(next.certificatePem).raw,
      });
      await page.getByRole("button", { name: "Stage the next certificate" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso"));
      const staged = (await page.textContent("main")) ?? "";
      assert.match(staged, /Staged the next certificate/);
      assert.match(staged, /Current certificate.*Next certificate/s);
      await checkPage(page, "sso-upload-7-next-staged", viewport);

      await page.getByRole("button", { name: "Remove the old certificate, make the next one current" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso"));
      const after = (await page.textContent("main")) ?? "";
      assert.match(after, /Removed the old certificate\./);
      assert.doesNotMatch(after, /Next certificate(?! file)/, "one slot left");
      assert.ok(after.includes(new X509Certificate(next.certificatePem).fingerprint256.slice(0, 11)), "the next one is current now");
      await checkPage(page, "sso-upload-8-old-removed", viewport);
      await context.close();
    });
  }
});
