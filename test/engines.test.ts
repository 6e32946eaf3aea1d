import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";

const run = promisify(execFile);

// npm ci checks every locked package's "engines" against this Node before it installs anything. With --dry-run
// and --offline it reads only package.json and package-lock.json: nothing is installed, nothing is downloaded.
test("a fresh npm ci prints no EBADENGINE warning on this Node", async () => {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const { stdout, stderr } = await run(npm, ["ci", "--dry-run", "--offline", "--no-audit", "--no-fund", "--loglevel=warn"], {
    cwd: process.cwd(),
  });
  const warnings = `${stdout}\n${stderr}`.split("\n").filter((line) => line.includes("EBADENGINE"));
  assert.deepEqual(warnings, [], `npm ci on Node ${process.version} warns about unsupported engines`);
});
