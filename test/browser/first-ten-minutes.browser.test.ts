import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { connectClinicToDemoIdp } from "../../src/demo/demo-idp-sign-in.js";
import { browserSkipReason, signInOnClinicPage, startAppInChromium, stopAppInChromium } from "../support/browser.js";
import { givenClinic, givenMember, type TestApp } from "../support/harness.js";
import { VIEWPORTS, checkPage, type ViewportName } from "../support/page-checks.js";

// A newcomer's first ten minutes, at a desktop size and on a 390×844 phone: every page is checked for sideways
// scrolling and serious accessibility violations (axe-core), and kept as a screenshot.
describe("the first ten minutes in Chromium", { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Browser;
  before(async () => {
    ({ t, browser } = await startAppInChromium({ withDemoIdp: true }));
  });
  after(() => stopAppInChromium({ t, browser }));

  /** A demo-like clinic connected to the demo IdP with JIT on, and its admin Dana and provider Priya. */
  async function givenDemoClinic() {
    const clinic = await givenClinic(t, 10, "Demo Family Clinic");
    const s = clinic.subdomain;
    await givenMember(t, clinic, { email: `dana@${s}.example`, name: "Dana Admin", role: "admin", roomName: `dana-${s}` });
    await givenMember(t, clinic, { email: `priya@${s}.example`, name: "Dr. Priya Provider", roomName: `priya-${s}` });
    await connectClinicToDemoIdp(t.db, clinic.id, t.demoIdp!, new Date(), { jitProvisioning: true });
    return clinic;
  }

  async function newPage(viewport: ViewportName): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: VIEWPORTS[viewport] });
    return { context, page: await context.newPage() };
  }

  for (const viewport of ["desktop", "phone"] as const) {
    test(`${viewport}: home, JIT sign-up as a typed person, room name, dashboard, waiting room, sign-out`, async () => {
      const clinic = await givenDemoClinic();
      const s = clinic.subdomain;
      const { context, page } = await newPage(viewport);
      await page.goto(t.main("/"));
      await checkPage(page, "home", viewport);

      // Main-site addresses that exist only on a clinic host explain and point on, instead of a 404.
      const gone = await page.goto(t.main("/settings/sso"));
      assert.equal(gone?.status(), 200);
      assert.match((await page.textContent("h1")) ?? "", /Single sign-on settings is on your clinic's own address/);
      await checkPage(page, "main-site-clinic-only", viewport);

      await page.goto(t.clinicUrl(s, "/sign-in"));
      await checkPage(page, "clinic-sign-in", viewport);
      await page.getByRole("link", { name: "Sign in with SSO" }).click();
      await page.waitForURL(/\/demo-idp\/sso\?/);
      await checkPage(page, "demo-idp-login", viewport);
      await page.getByLabel("Email").fill(`sam-${viewport}@${s}.example`);
      await page.getByLabel("Name").fill("Sam Newcomer");
      await page.getByRole("button", { name: "Sign in as this person" }).click();
      await page.waitForURL(t.clinicUrl(s, "/welcome"));

      // The room-link preview never shows invalid input as a URL.
      const field = page.getByLabel("Room name");
      await field.fill("bad name!");
      assert.match((await page.textContent("#room-url-preview")) ?? "", /\/your-name$/);
      await field.fill(`sam-${viewport}-${s}`);
      assert.match((await page.textContent("#room-url-preview")) ?? "", new RegExp(`/sam-${viewport}-${s}$`));
      await checkPage(page, "welcome", viewport);
      await page.getByRole("button", { name: /dashboard/i }).click();
      await page.waitForURL(t.clinicUrl(s, "/dashboard"));

      // A patient opens the room link, gives a name, and appears on the dashboard without a reload.
      const roomUrl = (await page.getAttribute("#room-url", "href"))!;
      assert.equal(roomUrl, t.main(`/sam-${viewport}-${s}`));
      const patientSide = await newPage(viewport);
      await patientSide.page.goto(roomUrl);
      await checkPage(patientSide.page, "room-join", viewport);
      await patientSide.page.getByLabel("Your name").fill("Ana Patient");
      await patientSide.page.getByRole("button", { name: "Join the waiting room" }).click();
      await patientSide.page.getByText("You are in the waiting room, Ana Patient").waitFor();
      await checkPage(patientSide.page, "room-waiting", viewport);
      await page.getByRole("button", { name: "Admit Ana Patient" }).waitFor();
      await checkPage(page, "dashboard-patient-waiting", viewport);
      await page.getByRole("button", { name: "Admit Ana Patient" }).click();
      await page.waitForURL(t.clinicUrl(s, "/dashboard"));
      // The patient's page notices by itself that the visit started.
      await patientSide.page.getByText("Your visit is starting").waitFor();
      await checkPage(patientSide.page, "room-admitted", viewport);
      await patientSide.context.close();

      // The clinic's name leads back to the dashboard; sign-out says it happened.
      assert.equal(await page.getAttribute("header .brand", "href"), "/dashboard");
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.waitForURL(/\/sign-in\?signedOut=1$/);
      assert.match((await page.getByRole("status").textContent()) ?? "", /You are signed out/);
      await checkPage(page, "signed-out", viewport);
      await context.close();
    });

    test(`${viewport}: an admin finds Manage Users and SSO settings, and every change asks or explains`, async () => {
      const clinic = await givenDemoClinic();
      const s = clinic.subdomain;
      const { context, page } = await newPage(viewport);
      await signInOnClinicPage(page, t, s, `dana@${s}.example`);
      await checkPage(page, "dashboard-admin", viewport);
      await page.getByRole("link", { name: "Clinic settings" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings"));
      await checkPage(page, "clinic-settings", viewport);
      await page.getByRole("link", { name: "Manage Users" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/users"));
      await checkPage(page, "manage-users", viewport);

      // The only admin sees their own changes disabled, with the reason, not offered and then refused.
      const me = page.locator(`tr[data-email="dana@${s}.example"]`);
      assert.equal(await me.getByRole("button", { name: "Remove" }).isDisabled(), true);
      assert.match((await me.textContent()) ?? "", /You are the only admin/);
      const disabled = await me.getByRole("button", { name: "Remove" }).evaluate((b) => getComputedStyle(b).cursor);
      assert.equal(disabled, "not-allowed");

      // Make admin asks first, as Remove does.
      const priya = page.locator(`tr[data-email="priya@${s}.example"]`);
      await priya.getByText("Make admin", { exact: true }).click();
      await checkPage(page, "manage-users-confirm-make-admin", viewport);
      await priya.getByRole("button", { name: "Yes, make Dr. Priya Provider admin" }).click();
      // The notice comes from the one-time flash after the redirect, never from the URL.
      await page
        .getByRole("status")
        .filter({ hasText: /is now an admin/ })
        .waitFor();

      // An invitation: the field error is marked invalid; then post/redirect/get shows the link once.
      await page.getByLabel("Email").fill("not-an-email");
      await page.getByRole("button", { name: "Create invitation" }).click();
      assert.equal(await page.getByLabel("Email").getAttribute("aria-invalid"), "true");
      await checkPage(page, "manage-users-invite-error", viewport);
      await page.getByLabel("Email").fill(`ivy-${viewport}@${s}.example`);
      await page.getByLabel("Name").fill("Ivy Invitee");
      await page.getByRole("button", { name: "Create invitation" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/users"));
      assert.match((await page.textContent("#invitation-link")) ?? "", /\/invitations\//);
      await checkPage(page, "manage-users-invited", viewport);

      await page.getByRole("link", { name: "Clinic settings" }).click();
      await page.getByRole("link", { name: "Single sign-on" }).click();
      await page.waitForURL(t.clinicUrl(s, "/settings/sso"));
      await checkPage(page, "sso-settings", viewport);
      // The enforcement switch waits for a first SSO sign-in, and looks it.
      const enforce = page.locator("form.toggle-row", { hasText: "Require single sign-on" }).getByRole("button");
      assert.equal(await enforce.isDisabled(), true);
      const [disabledLook, enabledLook] = await Promise.all([
        enforce.evaluate((b) => [getComputedStyle(b).cursor, getComputedStyle(b).backgroundColor]),
        page
          .locator("form.toggle-row", { hasText: "Just-in-time provisioning" })
          .getByRole("button")
          .evaluate((b) => [getComputedStyle(b).cursor, getComputedStyle(b).backgroundColor]),
      ]);
      assert.equal(disabledLook[0], "not-allowed");
      assert.notEqual(disabledLook[1], enabledLook[1]);
      // The focus ring is the brand blue: at least 3:1 against the white card.
      await page.keyboard.press("Tab");
      const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineColor);
      assert.equal(ring, "rgb(11, 92, 173)");
      // The crumbs lead back to the dashboard.
      await page.getByRole("link", { name: "Dashboard" }).click();
      await page.waitForURL(t.clinicUrl(s, "/dashboard"));
      await context.close();
    });

    test(`${viewport}: a removed person learns why they were signed out; a tampered SAML message is called invalid`, async () => {
      const clinic = await givenDemoClinic();
      const s = clinic.subdomain;
      const provider = await newPage(viewport);
      await signInOnClinicPage(provider.page, t, s, `priya@${s}.example`);
      const admin = await newPage(viewport);
      await signInOnClinicPage(admin.page, t, s, `dana@${s}.example`);
      await admin.page.goto(t.clinicUrl(s, "/settings/users"));
      const row = admin.page.locator(`tr[data-email="priya@${s}.example"]`);
      await row.getByText("Remove", { exact: true }).click();
      await row.getByRole("button", { name: "Yes, remove Dr. Priya Provider" }).click();
      await admin.page
        .getByRole("status")
        .filter({ hasText: /was removed/ })
        .waitFor();
      await admin.context.close();

      await provider.page.goto(t.clinicUrl(s, "/dashboard"));
      await provider.page.waitForURL(/\/sign-in\?returnTo=%2Fdashboard$/);
      assert.match((await provider.page.getByRole("status").textContent()) ?? "", /your clinic's admin removed your access/);
      await checkPage(provider.page, "removed-signed-out", viewport);
      await provider.context.close();

      // A response signed by the IdP, changed on the way to the ACS (another person's email).
      const { context, page } = await newPage(viewport);
      await page.route("**/saml/acs", async (route) => {
        const form = new URLSearchParams(route.request().postData() ?? "");
        const xml = Buffer.from(form.get("SAMLResponse")!, "base64").toString("utf8");
        form.set("SAMLResponse", Buffer.from(xml.replaceAll(`dana@${s}.example`, `mallory@${s}.example`)).toString("base64"));
        await route.continue({ postData: form.toString() });
      });
      await page.goto(t.clinicUrl(s, "/sign-in"));
      await page.getByRole("link", { name: "Sign in with SSO" }).click();
      await page.getByLabel("Email").fill(`dana@${s}.example`);
      await page.getByLabel("Name").fill("Dana Admin");
      await page.getByRole("button", { name: "Sign in as this person" }).click();
      await page.waitForURL(t.clinicUrl(s, "/saml/acs"));
      assert.match((await page.textContent("h1")) ?? "", /the message was not genuine/);
      assert.match((await page.textContent("main")) ?? "", /changed on the way, so we refused it as invalid/);
      assert.doesNotMatch((await page.textContent("main")) ?? "", /not set up correctly/);
      await checkPage(page, "tampered-saml", viewport);
      await context.close();
    });
  }
});
