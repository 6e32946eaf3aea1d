import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { HttpClient } from "./support/http-client.js";

const ENTRY = ["--import", "tsx", "src/main.ts"];

function runMain(
  env: Record<string, string>,
  until?: RegExp,
): Promise<{ code: number | null; stdout: string; stderr: string; kill(): void }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ENTRY, { env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "silent", ...env } });
    let stdout = "";
    let stderr = "";
    const result = (code: number | null) => ({ code, stdout, stderr, kill: () => child.kill("SIGTERM") });
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (until?.test(stdout)) resolve(result(null));
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve(result(code)));
  });
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

test("the default start seeds the demo clinic, prints its admin password, and serves it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "clinic-start-"));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const run = await runMain({ DATABASE_URL: `sqlite:${join(dir, "app.db")}`, PORT: String(port) }, /Operator token: .*\n/);
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
