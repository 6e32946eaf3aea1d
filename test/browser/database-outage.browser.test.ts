import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Browser } from "playwright-core";
import { browserSkipReason, launchChromium } from "../support/browser.js";
import { givenClinic, startTestApp, type TestApp } from "../support/harness.js";
import { VIEWPORTS, checkPage } from "../support/page-checks.js";
import { startPostgresCluster, postgresClusterSkipReason, type PostgresCluster } from "../support/postgres-cluster.js";
import { connectTestIdp } from "../support/saml-flow.js";

// The database is really stopped: the app runs on a PostgreSQL server of the test's own.
const skip = browserSkipReason() || postgresClusterSkipReason();

describe("the outage page in Chromium", { skip }, () => {
  let cluster: PostgresCluster;
  let t: TestApp;
  let browser: Browser;
  before(async () => {
    cluster = await startPostgresCluster();
    t = await startTestApp("postgres", { database: { dialect: "postgres", url: cluster.url, drop: async () => undefined } });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await cluster?.destroy();
  });

  test("Sign in with SSO while the database is down: plain words, a reference, the way back once it is up", async () => {
    const clinic = await givenClinic(t, 5, "Seaview Practice");
    await connectTestIdp(t, clinic);
    for (const viewport of ["desktop", "phone"] as const) {
      const page = await browser.newPage({ viewport: VIEWPORTS[viewport] });
      await page.goto(t.clinicUrl(clinic.subdomain, "/sign-in"));
      await cluster.stop();
      const [answer] = await Promise.all([
        page.waitForResponse((res) => res.url().includes("/saml/login")),
        page.getByRole("link", { name: "Sign in with SSO" }).click(),
      ]);
      assert.equal(answer.status(), 503);
      assert.equal(await answer.headerValue("retry-after"), "5");
      assert.equal(await page.textContent("h1"), "We are having a short outage");
      assert.match((await page.textContent("main")) ?? "", /Please wait a few seconds and try again/);
      assert.match((await page.locator(".ref").textContent()) ?? "", /^[A-Z0-9-]{6,}$/);
      await checkPage(page, "database-outage", viewport);
      await cluster.start();
      await page.getByRole("link", { name: "Back to sign-in" }).click();
      await page.getByRole("link", { name: "Sign in with SSO" }).waitFor();
      await page.close();
    }
  });
});
