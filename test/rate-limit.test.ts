import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { csrfFrom } from "./support/http-client.js";
import { testDialects } from "./support/databases.js";
import { PASSWORD, givenClinic, givenMember, startTestApp, type TestApp } from "./support/harness.js";
import { ACCOUNT_FAILURE_LIMIT } from "../src/sign-in/sign-in-with-password.js";

for (const dialect of testDialects()) {
  describe(`password sign-in rate limits (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect, { signInRateLimitPerMinute: 3 })));
    after(() => t.close());

    test("per IP: the fourth attempt in a minute is refused with 429", async () => {
      const client = t.client();
      const page = await client.get(t.main("/sign-in"));
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const res = await client.postForm(t.main("/sign-in"), {
          _csrf: csrfFrom(page.body),
          email: `ip${i}@example.org`,
          password: "wrong password!!",
        });
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 429]);
    });
  });

  describe(`per-account lockout (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    test("after five wrong passwords even the right one is refused for that account", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "locked@example.org" });
      await givenMember(t, clinic, { email: "other@example.org" });
      const client = t.client();
      const page = await client.get(t.main("/sign-in"));
      const post = (email: string, password: string) =>
        client.postForm(t.main("/sign-in"), { _csrf: csrfFrom(page.body), email, password });
      for (let i = 0; i < ACCOUNT_FAILURE_LIMIT; i++) assert.equal((await post("locked@example.org", "wrong password!!")).status, 401);
      const locked = await post("locked@example.org", PASSWORD);
      assert.equal(locked.status, 429);
      assert.match(locked.body, /Too many unsuccessful attempts/);
      assert.equal((await post("other@example.org", PASSWORD)).status, 303, "other accounts are not affected");
    });
  });
}
