import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { testDialects } from "./support/databases.js";
import { givenClinic, startTestApp, type TestApp } from "./support/harness.js";

// A session cookie on the probe: were the session looked up, a closed database would turn the answer into a 500.
const WITH_A_SESSION_COOKIE = { cookie: "session=an-old-session-token" };

async function probe(t: TestApp, path: string, host?: string) {
  const url = host ? `http://${host}:${t.port}${path}` : t.main(path);
  return t.client().get(url, WITH_A_SESSION_COOKIE);
}

for (const dialect of testDialects()) {
  describe(`health and readiness (${dialect})`, () => {
    test("/healthz and /readyz answer ok on the main site while the database answers", async () => {
      const t = await startTestApp(dialect);
      try {
        const health = await probe(t, "/healthz");
        assert.equal(health.status, 200);
        assert.deepEqual(health.json(), { status: "ok", checks: {} });
        assert.equal(health.headers["cache-control"], "no-store");
        const ready = await probe(t, "/readyz");
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.json(), { status: "ok", checks: { database: "ok", saml_workers: "ok" } });
      } finally {
        await t.close();
      }
    });

    test("a closed database: /readyz answers 503 naming the database, /healthz still answers 200", async () => {
      const t = await startTestApp(dialect);
      try {
        await t.db.destroy();
        const ready = await probe(t, "/readyz");
        assert.equal(ready.status, 503);
        assert.deepEqual(ready.json(), { status: "unavailable", checks: { database: "failed", saml_workers: "ok" } });
        const health = await probe(t, "/healthz");
        assert.equal(health.status, 200);
        assert.deepEqual(health.json(), { status: "ok", checks: {} });
      } finally {
        await t.close();
      }
    });

    test("checks passed in by the composition root are run and named; one that hangs is not ready after the time limit", async () => {
      let workersUp = true;
      const logged: string[] = [];
      const stream = new Writable({
        write(chunk: Buffer | string, _encoding, done) {
          logged.push(chunk.toString());
          done();
        },
      });
      const t = await startTestApp(dialect, {
        logger: { level: "info", stream },
        operations: {
          readinessTimeoutMs: 200,
          readinessChecks: [
            { name: "workers", check: async () => (workersUp ? undefined : Promise.reject(new Error("no worker"))) },
            // Never answers: a hung dependency must not hang the probe.
            { name: "hangs", check: () => new Promise<void>(() => undefined) },
          ],
        },
      });
      try {
        const first = await probe(t, "/readyz");
        assert.equal(first.status, 503);
        // The pool's first task starts a worker thread, which can take longer than this test's 200 ms: not judged here.
        const { saml_workers: _pool, ...named } = first.json().checks as Record<string, string>;
        assert.deepEqual(named, { database: "ok", workers: "ok", hangs: "timed_out" });
        workersUp = false;
        const { saml_workers: _poolAgain, ...namedAgain } = (await probe(t, "/readyz")).json().checks as Record<string, string>;
        assert.deepEqual(namedAgain, { database: "ok", workers: "failed", hangs: "timed_out" });
        // The failure is logged by the check's name and the error's type, never the error's text (it can name hosts).
        const warnings = logged
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((r) => r.msg === "readiness check failed");
        assert.deepEqual(
          warnings.map((r) => [r.check, r.error, typeof r.reqId]),
          [["workers", "Error", "string"]],
        );
        assert.ok(!logged.some((line) => line.includes("no worker")));
        // A probe's own request line stays out of the log.
        assert.ok(!logged.some((line) => line.includes('"msg":"request"')), logged.join(""));
      } finally {
        await t.close();
      }
    });

    test("every check passing is ready, a worker check added in one line included", async () => {
      const t = await startTestApp(dialect, { operations: { readinessChecks: [{ name: "workers", check: async () => undefined }] } });
      try {
        const ready = await probe(t, "/readyz");
        assert.equal(ready.status, 200);
        assert.deepEqual(ready.json(), { status: "ok", checks: { database: "ok", saml_workers: "ok", workers: "ok" } });
      } finally {
        await t.close();
      }
    });

    test("the probes answer on the main site and on the instance's address, never on a clinic's or an unknown name", async () => {
      const t = await startTestApp(dialect);
      try {
        const clinic = await givenClinic(t);
        for (const path of ["/healthz", "/readyz"]) {
          assert.equal((await probe(t, path, "127.0.0.1")).status, 200, `${path} by the instance's address`);
          assert.equal((await probe(t, path, `${clinic.subdomain}.localhost`)).status, 404, path);
          assert.equal((await probe(t, path, "elsewhere.example")).status, 404, path);
        }
      } finally {
        await t.close();
      }
    });
  });
}
