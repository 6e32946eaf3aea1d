import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { browserSkipReason, screenshot, startAppInChromium, stopAppInChromium } from "../support/browser.js";
import { PASSWORD, givenClinic, givenMember, type TestApp } from "../support/harness.js";

// Pages in a real browser: Chromium resolves *.localhost to loopback, so clinic subdomains work as in production.
describe("foundation pages in Chromium", { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Browser;
  before(async () => {
    ({ t, browser } = await startAppInChromium());
  });
  after(() => stopAppInChromium({ t, browser }));

  test("password sign-in on the main site, then on to the clinic dashboard, then sign-out", async () => {
    const clinic = await givenClinic(t, 5, "Riverside Telehealth");
    await givenMember(t, clinic, { email: "rivera@riverside.org", name: "Dr. Ana Rivera", roomName: `rivera-${clinic.subdomain}` });
    const page = await browser.newPage();

    await page.goto(t.main("/sign-in"));
    await screenshot(page, "main-sign-in");
    await page.getByLabel("Email").fill("rivera@riverside.org");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(t.main("/account"));
    await screenshot(page, "main-account");
    assert.match((await page.textContent("h1")) ?? "", /Hello, Dr. Ana Rivera/);

    await page.getByRole("link", { name: "Go to your clinic dashboard" }).click();
    await page.waitForURL(/\/sign-in\?returnTo=%2Fdashboard$/);
    assert.equal(new URL(page.url()).hostname, `${clinic.subdomain}.localhost`);
    await screenshot(page, "clinic-sign-in");
    assert.match((await page.textContent("h1")) ?? "", /Sign in to Riverside Telehealth/);
    await page.getByLabel("Email").fill("rivera@riverside.org");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(t.clinicUrl(clinic.subdomain, "/dashboard"));
    await screenshot(page, "clinic-dashboard");
    assert.match((await page.textContent("main")) ?? "", new RegExp(`${t.main(`/rivera-${clinic.subdomain}`)}`));

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(t.clinicUrl(clinic.subdomain, "/sign-in?signedOut=1"));
    await screenshot(page, "clinic-signed-out");
    await page.goto(t.clinicUrl(clinic.subdomain, "/dashboard"));
    await page.waitForURL(/\/sign-in\?returnTo=%2Fdashboard$/);
    await page.close();
  });

  test("a wrong password shows a plain error on the page", async () => {
    const clinic = await givenClinic(t);
    const page = await browser.newPage();
    await page.goto(t.clinicUrl(clinic.subdomain, "/sign-in"));
    await page.getByLabel("Email").fill("nobody@example.org");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").waitFor();
    assert.match((await page.getByRole("alert").textContent()) ?? "", /do not match an account/);
    await screenshot(page, "clinic-sign-in-error");
    await page.close();
  });
});
