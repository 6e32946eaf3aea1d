import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { listAuditEvents } from "../src/audit/audit.js";
import type { Clinic } from "../src/clinics/clinic.js";
import { csrfFrom } from "./support/http-client.js";
import { testDialects } from "./support/databases.js";
import { givenClinic, startTestApp, type TestApp } from "./support/harness.js";

const RATE_LIMIT = 3;

/** Wrong passwords posted to a clinic's sign-in form with the given X-Forwarded-For headers, one per attempt. */
async function failedSignIns(t: TestApp, clinic: Clinic, forwardedFor: string[]): Promise<number[]> {
  const client = t.client();
  const signIn = t.clinicUrl(clinic.subdomain, "/sign-in");
  const csrf = csrfFrom((await client.get(signIn)).body);
  const statuses: number[] = [];
  for (const [i, header] of forwardedFor.entries()) {
    const res = await client.postForm(
      signIn,
      { _csrf: csrf, email: `nobody-${i}@example.org`, password: "wrong password!!" },
      { "x-forwarded-for": header },
    );
    statuses.push(res.status);
  }
  return statuses;
}

async function recordedAddresses(t: TestApp, clinic: Clinic): Promise<string[]> {
  const events = await listAuditEvents(t.db, clinic.id);
  return [...new Set(events.filter((e) => e.action === "sign_in.password").map((e) => e.ip ?? ""))];
}

for (const dialect of testDialects()) {
  describe(`TRUST_PROXY=1: exactly one proxy in front (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect, { env: { TRUST_PROXY: "1" }, signInRateLimitPerMinute: RATE_LIMIT })));
    after(() => t.close());

    test("a forged left-most X-Forwarded-For entry changes neither the rate limit nor the audit log", async () => {
      const clinic = await givenClinic(t);
      // The proxy appends the address it saw (203.0.113.7); everything left of it is the client's own text.
      const forged = [1, 2, 3, 4, 5].map((i) => `198.51.100.${i}, 203.0.113.7`);
      assert.deepEqual(await failedSignIns(t, clinic, forged), [401, 401, 401, 429, 429]);
      assert.deepEqual(await recordedAddresses(t, clinic), ["203.0.113.7"]);
    });

    test("the address the proxy saw is the client's: another client behind the same proxy has its own limit", async () => {
      const clinic = await givenClinic(t);
      assert.deepEqual(await failedSignIns(t, clinic, ["203.0.113.20"]), [401]);
      assert.deepEqual(await recordedAddresses(t, clinic), ["203.0.113.20"]);
    });
  });

  describe(`TRUST_PROXY as a list of proxy networks (${dialect})`, () => {
    let t: TestApp;
    before(
      async () => (t = await startTestApp(dialect, { env: { TRUST_PROXY: "127.0.0.0/8, ::1" }, signInRateLimitPerMinute: RATE_LIMIT })),
    );
    after(() => t.close());

    test("the client is the nearest address that is not one of our proxies, whatever it wrote to the left", async () => {
      const clinic = await givenClinic(t);
      // Two of our proxies in a row (127.0.0.2, then the peer on 127.0.0.1) in front of the client 203.0.113.8.
      const forged = [1, 2, 3, 4].map((i) => `198.51.100.${i}, 203.0.113.8, 127.0.0.2`);
      assert.deepEqual(await failedSignIns(t, clinic, forged), [401, 401, 401, 429]);
      assert.deepEqual(await recordedAddresses(t, clinic), ["203.0.113.8"]);
    });
  });

  describe(`TRUST_PROXY off (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect, { signInRateLimitPerMinute: RATE_LIMIT })));
    after(() => t.close());

    test("X-Forwarded-For is ignored: the address is the connection's", async () => {
      const clinic = await givenClinic(t);
      const forged = [1, 2, 3, 4].map((i) => `198.51.100.${i}`);
      assert.deepEqual(await failedSignIns(t, clinic, forged), [401, 401, 401, 429]);
      assert.deepEqual(await recordedAddresses(t, clinic), ["127.0.0.1"]);
    });
  });
}
