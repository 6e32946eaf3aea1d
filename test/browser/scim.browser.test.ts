import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { browserSkipReason, signInOnClinicPage, startAppInChromium, stopAppInChromium } from "../support/browser.js";
import { givenClinic, givenMember, type TestApp } from "../support/harness.js";
import { VIEWPORTS, checkPage } from "../support/page-checks.js";
import { scimClient } from "../support/scim-flow.js";

// The SCIM section of the Single sign-on page, the token shown once, and the Managed by SCIM badge: checked for
// sideways scrolling and serious accessibility violations, and kept as screenshots.
describe("SCIM settings in Chromium", { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Browser;
  before(async () => {
    ({ t, browser } = await startAppInChromium());
  });
  after(() => stopAppInChromium({ t, browser }));

  for (const viewport of ["desktop", "phone"] as const) {
    test(`${viewport}: generate a token, see the IdP's requests, see who SCIM manages`, async () => {
      const clinic = await givenClinic(t, 10, "Harbor Family Clinic");
      const s = clinic.subdomain;
      await givenMember(t, clinic, { email: `dana@${s}.example`, name: "Dana Admin", role: "admin", roomName: `dana-${s}` });
      const context = await browser.newContext({ viewport: VIEWPORTS[viewport] });
      const page = await context.newPage();
      await signInOnClinicPage(page, t, s, `dana@${s}.example`);

      await page.goto(t.clinicUrl(s, "/settings/sso"));
      await page.getByRole("button", { name: "Generate a SCIM token" }).click();
      const token = ((await page.textContent("#scim-token")) ?? "").trim();
      assert.ok(token.length >= 43);
      await checkPage(page, "scim-token-shown", viewport);

      const scim = scimClient(t, clinic, token);
      const created = await scim.post("/Users", { userName: `nina@${s}.example`, name: { givenName: "Nina", familyName: "Nurse" } });
      assert.equal(created.status, 201);
      await scim.get(`/Users?filter=${encodeURIComponent('title eq "x"')}`);

      await page.getByRole("link", { name: "I have copied it" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso#scim"));
      assert.match((await page.textContent("#scim-requests")) ?? "", /400 refused: invalid filter/);
      await page.locator("#scim").scrollIntoViewIfNeeded();
      await checkPage(page, "sso-settings-scim", viewport);

      await page.goto(t.clinicUrl(s, "/settings/users"));
      assert.match((await page.textContent(`tr[data-email="nina@${s}.example"]`)) ?? "", /Managed by SCIM/);
      await checkPage(page, "manage-users-scim", viewport);
      await context.close();
    });
  }
});
