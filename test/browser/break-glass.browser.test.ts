import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { connectClinicToDemoIdp } from "../../src/demo/demo-idp-sign-in.js";
import { browserSkipReason, screenshot, startAppInChromium, stopAppInChromium } from "../support/browser.js";
import { PASSWORD, givenClinic, givenMember, type TestApp } from "../support/harness.js";

// The rescue of a clinic whose single sign-on is required and whose IdP is down, in a real browser: the admin's
// password on the main site leads into the clinic settings (and nowhere else), and so does a recovery code.
describe("never locked out, in Chromium", { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Browser;
  let subdomain: string;
  let codes: string[] = [];
  before(async () => {
    ({ t, browser } = await startAppInChromium({ withDemoIdp: "on-another-site" }));
    const clinic = await givenClinic(t, 5, "Demo Family Clinic");
    subdomain = clinic.subdomain;
    await givenMember(t, clinic, { email: "admin@demo-clinic.test", name: "Dana Admin", role: "admin", roomName: `dana-${subdomain}` });
    await givenMember(t, clinic, { email: "second@demo-clinic.test", name: "Sam Second", role: "admin", roomName: `sam-${subdomain}` });
    await connectClinicToDemoIdp(t.db, clinic.id, t.demoIdp!, new Date());
    // One real SSO sign-in, then single sign-on is required.
    const page = await browser.newPage();
    await page.goto(t.clinicUrl(subdomain, "/sign-in"));
    await page.getByRole("link", { name: "Sign in with SSO" }).click();
    await page.getByRole("button", { name: "Sign in as Dana Admin" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/dashboard"));
    await page.close();
    const enforced = await t.client().postJson(t.main(`/api/v1/clinics/${subdomain}/sso/saml`), { enforceSso: true }, t.operator, "PATCH");
    assert.equal(enforced.status, 200);
  });
  after(() => stopAppInChromium({ t, browser }));

  test("an admin signs in with a password on the main site and opens the clinic settings; the dashboard stays closed", async () => {
    const page = await browser.newPage();
    await page.goto(t.clinicUrl(subdomain, "/sign-in"));
    await screenshot(page, "rescue-enforced-clinic-sign-in");
    await page.getByRole("link", { name: "sign in with your email and password on the main site" }).click();
    await page.waitForURL(t.main("/sign-in"));
    await page.getByLabel("Email").fill("admin@demo-clinic.test");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(t.main("/account"));
    await screenshot(page, "rescue-main-site-account");
    await page.getByRole("button", { name: "Open clinic settings" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/settings/sso"));
    await screenshot(page, "rescue-settings-from-main-site");
    assert.equal((await page.evaluate(async () => (await fetch("/api/v1/session")).json())).authMethod, "handoff");
    // Recovery codes for later, shown once.
    await page.getByRole("button", { name: "Generate recovery codes" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/settings/sso/recovery-codes"));
    await screenshot(page, "rescue-recovery-codes-shown");
    codes = await page.locator("#recovery-codes code").allTextContents();
    assert.equal(codes.length, 10);
    await page.goto(t.clinicUrl(subdomain, "/dashboard"));
    assert.match((await page.textContent("main")) ?? "", /This session opens only the clinic settings/);
    await screenshot(page, "rescue-dashboard-refused");
    await page.getByRole("link", { name: "Go to the Single sign-on settings" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/settings/sso"));
    await page.close();
  });

  test("an admin signs in on the clinic host with a recovery code and a reason, and reaches the settings", async () => {
    assert.equal(codes.length, 10, "the codes of the previous step");
    const page = await browser.newPage();
    await page.goto(t.clinicUrl(subdomain, "/sign-in"));
    await page.getByRole("link", { name: "Sign in to the settings with a recovery code" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/sign-in/recovery"));
    await page.getByLabel("Email").fill("admin@demo-clinic.test");
    await page.getByLabel("Recovery code").fill(codes[0]!);
    await page.getByRole("button", { name: "Sign in to the settings" }).click();
    assert.match((await page.textContent("main")) ?? "", /Say why you need emergency access/);
    await screenshot(page, "rescue-recovery-reason-required");
    await page.getByLabel("Recovery code").fill(codes[0]!);
    await page.getByLabel("Why you need emergency access").fill("The identity provider is down for everyone");
    await page.getByRole("button", { name: "Sign in to the settings" }).click();
    await page.waitForURL(t.clinicUrl(subdomain, "/settings/sso"));
    await screenshot(page, "rescue-settings-with-recovery-code");
    assert.match((await page.textContent("main")) ?? "", /You have 9 unused recovery codes/);
    await page.close();
  });
});
