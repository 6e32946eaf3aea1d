import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { connectClinicToDemoIdp } from "../../src/demo/demo-idp-sign-in.js";
import { browserSkipReason, screenshot, startAppInChromium, stopAppInChromium } from "../support/browser.js";
import { PASSWORD, givenClinic, givenMember, type TestApp } from "../support/harness.js";

// The whole SSO round trip in a real browser, through the built-in demo IdP (samlify, its own key):
// clinic sign-in page → IdP → auto-posted signed response → ACS → dashboard. The IdP is served as
// http://127.0.0.1:PORT, another site than the clinic's *.localhost, so its POST to the ACS is cross-site as in production.
describe("single sign-on in Chromium through the demo IdP", { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Browser;
  let subdomain: string;
  before(async () => {
    ({ t, browser } = await startAppInChromium({ withDemoIdp: "on-another-site" }));
    const clinic = await givenClinic(t, 5, "Demo Family Clinic");
    subdomain = clinic.subdomain;
    await givenMember(t, clinic, { email: "admin@demo-clinic.test", name: "Dana Admin", role: "admin", roomName: `dana-${subdomain}` });
    await givenMember(t, clinic, { email: "provider@demo-clinic.test", name: "Dr. Priya Provider", roomName: `priya-${subdomain}` });
    await connectClinicToDemoIdp(t.db, clinic.id, t.demoIdp!, new Date());
  });
  after(() => stopAppInChromium({ t, browser }));

  /** Asks the app, from the page itself (Chromium resolves *.localhost; Node does not), who is signed in. */
  async function session(page: Page) {
    return page.evaluate(async () => (await fetch("/api/v1/session")).json());
  }

  test("SP-initiated: Sign in with SSO → demo IdP login → dashboard", async () => {
    const page = await browser.newPage();
    await page.goto(t.clinicUrl(subdomain, "/sign-in"));
    await screenshot(page, "sso-clinic-sign-in");
    await page.getByRole("link", { name: "Sign in with SSO" }).click();
    await page.waitForURL(/\/demo-idp\/sso\?/);
    assert.equal(new URL(page.url()).hostname, "127.0.0.1", "the IdP is on another site than the clinic");
    await screenshot(page, "sso-demo-idp-login");
    await page.getByRole("button", { name: "Sign in as Dr. Priya Provider" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/dashboard"));
    await screenshot(page, "sso-dashboard");
    assert.match((await page.textContent("h1")) ?? "", /Welcome, Dr. Priya Provider/);
    assert.deepEqual([(await session(page)).email, (await session(page)).authMethod], ["provider@demo-clinic.test", "saml"]);
    await page.close();
  });

  test("IdP-initiated: the demo IdP's app list → dashboard", async () => {
    const page = await browser.newPage();
    await page.goto(`${new URL(t.demoIdp!.ssoUrl).origin}/demo-idp/apps`);
    await screenshot(page, "sso-demo-idp-apps");
    const app = page.getByRole("region", { name: "Demo Family Clinic" });
    await app.getByRole("button", { name: "Sign in as Dana Admin" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/dashboard"));
    assert.equal((await session(page)).email, "admin@demo-clinic.test");
    await page.goto(t.clinicUrl(subdomain, "/settings/sso"));
    await screenshot(page, "sso-settings");
    assert.match((await page.textContent("main")) ?? "", /Last successful sign-in/);
    await page.close();
  });

  test("JIT: a new person signs in, chooses a room name, and lands on the dashboard", async () => {
    await t.client().postJson(t.main(`/api/v1/clinics/${subdomain}/sso/saml`), { jitProvisioning: true }, t.operator, "PATCH");
    const page = await browser.newPage();
    await page.goto(t.clinicUrl(subdomain, "/sign-in"));
    await page.getByRole("link", { name: "Sign in with SSO" }).click();
    await page.getByRole("button", { name: "Sign in as Noah Newcomer" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/welcome"));
    await screenshot(page, "sso-jit-welcome");
    const field = page.getByLabel(/room name/i);
    await field.fill(`noah-${subdomain}`);
    await page.getByRole("button", { name: /dashboard/i }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/dashboard"));
    await screenshot(page, "sso-jit-dashboard");
    const me = await session(page);
    assert.deepEqual([me.email, me.roomName, me.onboardingRequired], ["noah@demo-clinic.test", `noah-${subdomain}`, false]);
    await page.close();
  });

  test("a password is still refused on the clinic page once SSO is enforced", async () => {
    await t.client().postJson(t.main(`/api/v1/clinics/${subdomain}/sso/saml`), { enforceSso: true }, t.operator, "PATCH");
    const page = await browser.newPage();
    await page.goto(t.clinicUrl(subdomain, "/sign-in"));
    await screenshot(page, "sso-enforced-sign-in");
    assert.equal(await page.getByLabel("Password").count(), 0);
    assert.equal(await page.getByRole("link", { name: "Sign in with SSO" }).count(), 1);
    // The main site still takes the password, and offers the way on to the clinic.
    await page.goto(t.main("/sign-in"));
    await page.getByLabel("Email").fill("admin@demo-clinic.test");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(t.main("/account"));
    await screenshot(page, "main-site-fallback");
    await page.getByRole("link", { name: "Go to your clinic dashboard" }).click();
    await page.waitForURL(/\/sign-in\?returnTo=%2Fdashboard$/);
    await page.getByRole("link", { name: "Sign in with SSO" }).click();
    await page.getByRole("button", { name: "Sign in as Dana Admin" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/dashboard"));
    await page.close();
  });
});
