import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { freePort } from "./support/harness.js";
import { HttpClient } from "./support/http-client.js";

const ENTRY = ["--import", "tsx", "src/main.ts"];

function runMain(
  env: Record<string, string>,
  until?: RegExp,
): Promise<{ code: number | null; readonly stdout: string; readonly stderr: string; kill(): void }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ENTRY, { env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "silent", ...env } });
    let stdout = "";
    let stderr = "";
    // Live views: a test can read what the process printed after the moment it resolved.
    const result = (code: number | null) => ({
      code,
      get stdout() {
        return stdout;
      },
      get stderr() {
        return stderr;
      },
      kill: () => child.kill("SIGTERM"),
    });
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (until?.test(stdout)) resolve(result(null));
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve(result(code)));
  });
}

/** Waits (on output events, not a clock limit) until the process has printed something more. */
async function waitFor(read: () => string): Promise<string> {
  while (!read()) await new Promise((resolve) => setImmediate(resolve));
  return read();
}

test("an unreachable database at start gives one clear line, not a stack trace", async () => {
  const run = await runMain({ DATABASE_URL: "postgres://app:secret@127.0.0.1:1/clinic" });
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim().split("\n").length, 1);
  assert.match(run.stderr, /^Cannot reach the database at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/clinic: ECONNREFUSED/);
  assert.doesNotMatch(run.stderr, /secret|    at /);
});

test("production refuses to start without an operator token", async () => {
  const run = await runMain({ NODE_ENV: "production", DATABASE_URL: "sqlite::memory:" });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /OPERATOR_TOKEN must be set/);
});

/** A start that must be refused; should it start after all, it is stopped and reported as started. */
async function runRefusedStart(env: Record<string, string>) {
  const run = await runMain({ PORT: String(await freePort()), ...env }, /ClinicRooms is running/);
  run.kill();
  return run;
}

test("DEMO=1 on a real domain refuses to start with one clear line, whatever NODE_ENV says", async () => {
  const starts: Record<string, string>[] = [
    { NODE_ENV: "development", BASE_DOMAIN: "clinics.example.com" },
    { PUBLIC_URL_SCHEME: "https" },
  ];
  for (const env of starts) {
    const run = await runRefusedStart({ ...env, DEMO: "1", OPERATOR_TOKEN: "x".repeat(40), DATABASE_URL: "sqlite::memory:" });
    assert.equal(run.code, 1);
    assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
    assert.match(run.stderr, /^DEMO=1 is refused in production \(.+\): the demo and its identity provider run only on http:\/\/localhost/);
    assert.doesNotMatch(run.stderr, /    at /);
  }
});

test("a start on a real domain without NODE_ENV=production needs an operator token and runs without the demo", async () => {
  const noToken = await runRefusedStart({ BASE_DOMAIN: "clinics.example.com", DATABASE_URL: "sqlite::memory:" });
  assert.equal(noToken.code, 1);
  assert.match(
    noToken.stderr,
    /^OPERATOR_TOKEN must be set \(at least 32 characters\) in production \(BASE_DOMAIN=clinics\.example\.com is not localhost\)\n$/,
  );
  const dir = mkdtempSync(join(tmpdir(), "clinic-start-"));
  const port = await freePort();
  const env = {
    BASE_DOMAIN: "clinics.example.test",
    OPERATOR_TOKEN: "x".repeat(40),
    DATABASE_URL: `sqlite:${join(dir, "app.db")}`,
    PORT: String(port),
  };
  const run = await runMain(env, /ClinicRooms is running at .*\n/);
  try {
    assert.doesNotMatch(run.stdout, /Demo|Operator token/);
    const client = new HttpClient(port);
    assert.equal((await client.get(`http://clinics.example.test:${port}/demo-idp/metadata`)).status, 404);
    assert.equal((await client.get(`http://demo.clinics.example.test:${port}/sign-in`)).status, 404, "no demo clinic was seeded");
  } finally {
    run.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the default start seeds the demo clinic, prints its admin password, and serves it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "clinic-start-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const run = await runMain({ DATABASE_URL: `sqlite:${join(dir, "app.db")}`, PORT: String(port) }, /╚═+╝\n\n/);
  try {
    assert.match(run.stdout, /Demo clinic: +http:\/\/demo\.localhost:\d+\/sign-in/);
    const password = /Admin password: +(\S+)/.exec(run.stdout)?.[1];
    assert.ok(password);
    const client = new HttpClient(port);
    const page = await client.get(`http://demo.localhost:${port}/sign-in`);
    assert.equal(page.status, 200);
    assert.match(page.body, /Sign in to Demo Family Clinic/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const signIn = await client.postForm(`http://demo.localhost:${port}/sign-in`, {
      _csrf: csrf,
      email: "admin@demo-clinic.test",
      password,
    });
    assert.equal(signIn.location, "/dashboard");
    // The demo clinic starts with just-in-time provisioning on, so a newcomer's first SSO sign-in works.
    const token = /Operator token: +(\S+)/.exec(run.stdout)?.[1];
    const sso = await client.get(`http://localhost:${port}/api/v1/clinics/demo/sso/saml`, { authorization: `Bearer ${token}` });
    assert.equal(JSON.parse(sso.body).jitProvisioning, true);
  } finally {
    run.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the console is quiet: no library warnings, the banner framed and last, then one readable line per request", async () => {
  const dir = mkdtempSync(join(tmpdir(), "clinic-console-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const run = await runMain({ DATABASE_URL: `sqlite:${join(dir, "app.db")}`, PORT: String(port), LOG_LEVEL: "info" }, /╚═+╝\n\n/);
  try {
    const beforeRequests = run.stdout;
    // samlify's "missing endpoint of SingleLogoutService", Node deprecations and engine warnings stay off the console.
    assert.doesNotMatch(beforeRequests + run.stderr, /SingleLogoutService|Deprecation|EBADENGINE/);
    assert.equal(run.stderr, "");
    assert.match(beforeRequests, /╔═+╗\n║  ClinicRooms is running at/);
    assert.ok(beforeRequests.trimEnd().endsWith("╝"), "the framed banner is the last thing printed at start");
    const client = new HttpClient(port);
    await client.get(`http://demo.localhost:${port}/sign-in?returnTo=%2Fdashboard`);
    const logged = await waitFor(() => run.stdout.slice(beforeRequests.length));
    // The request's id in brackets: the reference its error page would show.
    assert.match(logged, /^\d\d:\d\d:\d\d INFO  \[[0-9A-Z]{10}\] GET demo\.localhost:\d+\/sign-in 200 \d+ms\n$/);
  } finally {
    run.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
