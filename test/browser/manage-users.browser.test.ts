import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { browserSkipReason, signInOnClinicPage, screenshot, startAppInChromium, stopAppInChromium } from "../support/browser.js";
import { givenClinic, givenMember, type TestApp } from "../support/harness.js";

// The confirm step is a <details>, so this is the page exactly as it works with JavaScript off, too.
describe("Manage Users in Chromium", { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Browser;
  before(async () => {
    ({ t, browser } = await startAppInChromium());
  });
  after(() => stopAppInChromium({ t, browser }));

  test("an admin removes a provider: the seat is freed and the provider is signed out", async () => {
    const clinic = await givenClinic(t, 3, "Bayview Family Practice");
    await givenMember(t, clinic, {
      email: "okafor@bayview.org",
      name: "Dr. Chidi Okafor",
      role: "admin",
      roomName: `okafor-${clinic.subdomain}`,
    });
    await givenMember(t, clinic, { email: "lindqvist@bayview.org", name: "Dr. Elsa Lindqvist", roomName: `lindqvist-${clinic.subdomain}` });

    const providerContext = await browser.newContext();
    const provider = await providerContext.newPage();
    await signInOnClinicPage(provider, t, clinic.subdomain, "lindqvist@bayview.org");

    const page = await browser.newPage();
    await signInOnClinicPage(page, t, clinic.subdomain, "okafor@bayview.org");
    await page.getByRole("link", { name: "Manage Users" }).click();
    await page.waitForURL(t.clinicUrl(clinic.subdomain, "/settings/users"));
    assert.equal(await page.textContent("h1"), "Manage Users");
    assert.match((await page.textContent("#seats")) ?? "", /2 of 3 seats used/);
    await screenshot(page, "manage-users");

    const row = page.locator('tr[data-email="lindqvist@bayview.org"]');
    assert.match((await row.textContent()) ?? "", /Active/);
    await row.getByText("Remove", { exact: true }).click();
    await screenshot(page, "manage-users-confirm-remove");
    await row.getByRole("button", { name: "Yes, remove Dr. Elsa Lindqvist" }).click();
    // The notice arrives through the session's one-time flash: the address bar stays plain.
    await page
      .getByRole("status")
      .filter({ hasText: /was removed/ })
      .first()
      .waitFor();
    assert.equal(page.url(), t.clinicUrl(clinic.subdomain, "/settings/users"));
    await screenshot(page, "manage-users-removed");

    assert.match((await page.getByRole("status").first().textContent()) ?? "", /lindqvist@bayview\.org was removed: their seat is free/);
    assert.match((await page.textContent("#seats")) ?? "", /1 of 3 seats used/);
    assert.match((await row.textContent()) ?? "", /Removed/);
    assert.equal(await row.getByRole("button", { name: "Restore" }).count(), 1);

    // The provider's open tab: the next page load lands on sign-in, the session is gone.
    await provider.goto(t.clinicUrl(clinic.subdomain, "/dashboard"));
    await provider.waitForURL(/\/sign-in\?returnTo=%2Fdashboard$/);
    await providerContext.close();
    await page.close();
  });
});
