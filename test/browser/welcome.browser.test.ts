import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { findRoomForUser } from "../../src/rooms/room.queries.js";
import { browserSkipReason, screenshot, startAppInChromium, stopAppInChromium } from "../support/browser.js";
import { PASSWORD, givenClinic, givenMember, type TestApp } from "../support/harness.js";

// The live check is JavaScript in a real page (public/welcome.js, loaded under the site's CSP); the HTTP tests cover the form without it.
describe("choosing a room name in Chromium", { skip: browserSkipReason() }, () => {
  let t: TestApp;
  let browser: Browser;
  before(async () => {
    ({ t, browser } = await startAppInChromium());
  });
  after(() => stopAppInChromium({ t, browser }));

  test("a member without a room picks one, checked as they type, and lands on the dashboard with its link", async () => {
    const clinic = await givenClinic(t, 5, "Lakeside Counselling");
    await givenMember(t, clinic, { email: "kaur@lakeside.org", name: "Dr. Priya Kaur", roomName: "lakeside-kaur" });
    const member = await givenMember(t, clinic, { email: "osei@lakeside.org", name: "Dr. Kwame Osei" });
    const page = await browser.newPage();
    const scriptErrors: string[] = [];
    page.on("pageerror", (error) => scriptErrors.push(error.message));
    page.on("console", (message) => {
      // The site has no favicon; that 404 is not this page's concern.
      if (message.type() === "error" && !message.location().url.endsWith("/favicon.ico"))
        scriptErrors.push(`${message.text()} ${message.location().url}`);
    });

    await page.goto(t.clinicUrl(clinic.subdomain, "/sign-in"));
    await page.getByLabel("Email").fill("osei@lakeside.org");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    // Until the dashboard sends room-less members here itself, either landing is fine: /welcome is where they finish.
    await page.waitForURL(/\/(dashboard|welcome)$/);
    await page.goto(t.clinicUrl(clinic.subdomain, "/welcome"));
    assert.match((await page.textContent("h1")) ?? "", /Finish setting up your account/);
    const field = page.getByLabel("Room name");
    assert.equal(await field.inputValue(), "kwame-osei");
    assert.equal(await page.locator("#room-url-preview").textContent(), t.main("/kwame-osei"));
    await screenshot(page, "welcome");

    const status = page.locator("#room-name-status");
    await field.fill("");
    await field.pressSequentially("Lakeside-Kaur", { delay: 20 });
    await status.filter({ hasText: "is taken" }).waitFor();
    assert.equal(await status.textContent(), "“Lakeside-Kaur” is taken.");
    assert.equal(await status.getAttribute("aria-live"), "polite");
    assert.equal(await field.getAttribute("aria-invalid"), "true");
    assert.equal(await page.locator("#room-url-preview").textContent(), t.main("/lakeside-kaur"));
    assert.equal(page.url(), t.clinicUrl(clinic.subdomain, "/welcome"), "the check happened without submitting the form");
    await screenshot(page, "welcome-taken");

    await field.fill("lakeside-osei");
    await status.filter({ hasText: "is available" }).waitFor();
    assert.equal(await status.textContent(), "“lakeside-osei” is available.");
    assert.equal(await field.getAttribute("aria-invalid"), null);
    assert.equal(await page.locator("#room-url-preview").textContent(), t.main("/lakeside-osei"));
    await screenshot(page, "welcome-available");

    await page.getByRole("button", { name: "Save and go to the dashboard" }).click();
    await page.waitForURL(t.clinicUrl(clinic.subdomain, "/dashboard"));
    assert.equal(await page.locator("#room-url").textContent(), t.main("/lakeside-osei"));
    await screenshot(page, "welcome-dashboard");
    assert.equal((await findRoomForUser(t.db, member.user.id))?.name, "lakeside-osei");
    assert.deepEqual(scriptErrors, [], "no script errors, CSP violations included");
    await page.close();
  });

  test("a refused name comes back with the reason under the field and the focus on it", async () => {
    const clinic = await givenClinic(t, 5, "Lakeside Counselling");
    await givenMember(t, clinic, { email: "mensah@lakeside.org", name: "Ama Mensah" });
    const page = await browser.newPage();
    await page.goto(t.clinicUrl(clinic.subdomain, "/sign-in?returnTo=%2Fwelcome"));
    await page.getByLabel("Email").fill("mensah@lakeside.org");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(t.clinicUrl(clinic.subdomain, "/welcome"));
    const field = page.getByLabel("Room name");
    // Submitted before the live check can answer: the server's answer is what the person sees.
    await field.fill("dashboard");
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/welcome"),
      page.getByRole("button", { name: "Save and go to the dashboard" }).click(),
    ]);
    assert.equal(answer.status(), 400);
    await page.waitForLoadState();
    assert.equal(await page.locator("#room-name-status").textContent(), "“dashboard” is reserved for the site itself.");
    assert.equal(await field.inputValue(), "dashboard");
    assert.equal(await page.evaluate(() => document.activeElement?.id), "room-name");
    await screenshot(page, "welcome-refused");
    await page.close();
  });
});
