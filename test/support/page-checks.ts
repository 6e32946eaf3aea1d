import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";
import { screenshot } from "./browser.js";

const require = createRequire(import.meta.url);
// axe-core's own build, evaluated in the page: the engine runs in Chromium against the real DOM.
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** Fails on any serious or critical accessibility violation axe-core finds on the page as it is now. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  // Evaluated through the DevTools protocol: the page's own CSP (script-src 'self') stays exactly as served.
  await page.evaluate(`${AXE_SOURCE};0`);
  const violations = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document): Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document)).violations;
  })) as AxeViolation[];
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(
    serious.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
    [],
    `accessibility violations on ${name}`,
  );
}

/** Nothing scrolls sideways: the page is no wider than the window. */
export async function assertNoHorizontalScroll(page: Page, name: string): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `${name} scrolls sideways: ${scrollWidth}px wide in a ${innerWidth}px window`);
}

/** The checks every page gets: no sideways scroll, no serious accessibility violation, and a screenshot kept. */
export async function checkPage(page: Page, name: string, viewport: ViewportName): Promise<void> {
  await screenshot(page, `${viewport}-${name}`);
  await assertNoHorizontalScroll(page, `${name} (${viewport})`);
  await assertAccessible(page, `${name} (${viewport})`);
}
