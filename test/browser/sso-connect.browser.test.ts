import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { generate } from "selfsigned";
import { browserSkipReason, signInOnClinicPage, startAppInChromium, stopAppInChromium } from "../support/browser.js";
import { givenClinic, givenMember, type TestApp } from "../support/harness.js";
import { VIEWPORTS, checkPage, type ViewportName } from "../support/page-checks.js";

// A clinic admin who has never seen SAML connects the demo IdP through the page alone, tests it, turns it on,
// then breaks it on purpose (a certificate the IdP does not sign with) and reads the diagnosis.
describe("a clinic admin connects and tests the IdP in Chromium", { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Browser;
  let strangerCertificate: string;
  before(async () => {
    ({ t, browser } = await startAppInChromium({ withDemoIdp: true }));
    strangerCertificate = (await generate([{ name: "commonName", value: "stranger.idp.test" }], { keySize: 2048, algorithm: "sha256" }))
      .cert;
  });
  after(() => stopAppInChromium({ t, browser }));

  async function newPage(viewport: ViewportName): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: VIEWPORTS[viewport] });
    return { context, page: await context.newPage() };
  }

  async function testSignIn(page: Page, subdomain: string, email: string): Promise<void> {
    await page.getByRole("button", { name: "Test sign-in" }).click();
    await page.waitForURL(/\/demo-idp\/sso\?/);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Name").fill("Dana Admin");
    await page.getByRole("button", { name: "Sign in as this person" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/saml/acs"));
  }

  for (const viewport of ["desktop", "phone"] as const) {
    test(`${viewport}: connect by metadata URL, test, turn on, then read the diagnosis of a wrong certificate`, async () => {
      const clinic = await givenClinic(t, 5, "Demo Family Clinic");
      const s = clinic.subdomain;
      const email = `dana@${s}.example`;
      await givenMember(t, clinic, { email, name: "Dana Admin", role: "admin", roomName: `dana-${s}` });
      const { context, page } = await newPage(viewport);
      await signInOnClinicPage(page, t, s, email);

      await page.goto(t.clinicUrl(s, "/settings/sso"));
      await checkPage(page, "sso-connect-1-not-connected", viewport);
      await page.getByRole("link", { name: "Connect your identity provider" }).click();
      await page.getByLabel("Your identity provider").selectOption("okta");
      await page.getByRole("button", { name: "Use its field names" }).click();
      await page.getByLabel(/^Metadata URL \(Sign On tab\) \(recommended/).check();
      await page.getByLabel("Metadata URL (Sign On tab)", { exact: true }).fill(t.demoIdp!.entityId);
      await checkPage(page, "sso-connect-2-form", viewport);
      await page.getByRole("button", { name: "Save the identity provider" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso"));
      assert.match((await page.textContent("main")) ?? "", /Run a test sign-in, then turn single sign-on on\./);
      assert.ok(await page.getByRole("button", { name: "Turn on" }).first().isDisabled(), "on waits for a passing test");
      await checkPage(page, "sso-connect-3-saved", viewport);

      await testSignIn(page, s, email);
      assert.match((await page.textContent("main")) ?? "", /The test sign-in worked/);
      assert.match((await page.textContent("main")) ?? "", /sign in Dana Admin \(admin\)/);
      await checkPage(page, "sso-connect-4-test-passed", viewport);

      await page.getByRole("link", { name: "Back to single sign-on settings" }).click();
      const onForm = page.locator('form[action="/settings/sso/enabled"]');
      await onForm.getByRole("button", { name: "Turn on" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso"));
      assert.match((await page.textContent("main")) ?? "", /Single sign-on is now on\./);
      await checkPage(page, "sso-connect-5-turned-on", viewport);

      // On purpose: the demo IdP's SSO URL with a certificate it does not sign with.
      await page.getByRole("link", { name: "Change the identity provider" }).click();
      await page.getByLabel(/^Identity Provider Single Sign-On URL and/).check();
      await page.getByLabel("Identity Provider Single Sign-On URL", { exact: true }).fill(t.demoIdp!.ssoUrl);
      await page.getByLabel("Identity Provider Issuer", { exact: true }).fill(t.demoIdp!.entityId);
      await page.getByLabel("Or paste the X.509 Certificate (the .cert download)", { exact: true }).fill(strangerCertificate);
      await page.getByRole("button", { name: "Save the identity provider" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso"));
      await testSignIn(page, s, email);
      const diagnosis = (await page.textContent("main")) ?? "";
      assert.match(diagnosis, /The test sign-in failed/);
      assert.match(diagnosis, /Signed by a certificate you have not uploaded: its SHA-256 fingerprint is/);
      assert.match(diagnosis, /How to fix: Download Okta's X\.509 Certificate/);
      await checkPage(page, "sso-connect-6-diagnosis", viewport);

      await page.goto(t.clinicUrl(s, "/settings/sso/events?show=failures"));
      assert.match((await page.textContent("main")) ?? "", /Test sign-in: No valid signature/);
      await checkPage(page, "sso-connect-7-log", viewport);
      await context.close();
    });
  }
});
