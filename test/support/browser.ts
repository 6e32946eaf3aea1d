import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "./harness.js";

export const CHROMIUM_PATH = "/usr/bin/chromium";
export const SCREENSHOT_DIR = join(process.cwd(), "test-output", "screenshots");

/**
 * Why browser tests may be skipped: only when Debian's Chromium is not installed and the run does not demand it.
 * CI sets REQUIRE_BROWSER=1 (after installing chromium), so there a missing browser fails instead of skipping.
 */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM_PATH)) return false;
  if (process.env.REQUIRE_BROWSER === "1")
    throw new Error(`REQUIRE_BROWSER=1 but ${CHROMIUM_PATH} is missing: apt-get install -y chromium`);
  return `Debian's Chromium is not installed at ${CHROMIUM_PATH} (apt-get install -y chromium)`;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // The machine has no network beyond loopback: keep Chromium from phoning home.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

/** Saves a full-page screenshot under test-output/screenshots for people to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

export interface AppInChromium {
  t: TestApp;
  browser: Browser;
}

/** The real app on SQLite and a fresh Chromium, for one browser suite. */
export async function startAppInChromium(options?: Parameters<typeof startTestApp>[1]): Promise<AppInChromium> {
  const t = await startTestApp("sqlite", options);
  try {
    return { t, browser: await launchChromium() };
  } catch (error) {
    await t.close();
    throw error;
  }
}

/** Stops what startAppInChromium started; safe to call after a failed start. */
export async function stopAppInChromium(started: Partial<AppInChromium>): Promise<void> {
  await started.browser?.close();
  await started.t?.close();
}

/** Signs in with email and password on a clinic's own sign-in page, as its staff do, and waits for the dashboard. */
export async function signInOnClinicPage(page: Page, t: TestApp, subdomain: string, email: string): Promise<void> {
  await page.goto(t.clinicUrl(subdomain, "/sign-in"));
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.waitForURL(t.clinicUrl(subdomain, "/dashboard"));
}
