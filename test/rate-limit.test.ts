import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { csrfFrom } from "./support/http-client.js";
import { testDialects } from "./support/databases.js";
import { PASSWORD, givenClinic, givenMember, startTestApp, type TestApp } from "./support/harness.js";
import { ADDRESS_FAILURE_LIMIT, FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS } from "../src/sign-in/sign-in-throttle.js";

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

  describe(`password sign-in throttle per account and address (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    /** A browser stand-in at one client address, posting the main site's sign-in form. */
    async function from(address: string) {
      const client = t.client(address);
      const page = await client.get(t.main("/sign-in"));
      return (email: string, password: string) => client.postForm(t.main("/sign-in"), { _csrf: csrfFrom(page.body), email, password });
    }

    async function statuses(post: (email: string, password: string) => Promise<{ status: number }>, email: string, count: number) {
      const seen = [];
      for (let i = 0; i < count; i++) seen.push((await post(email, "wrong password!!")).status);
      return seen;
    }

    async function givenOwner(): Promise<string> {
      const clinic = await givenClinic(t);
      const email = `owner@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email });
      return email;
    }

    test("an attacker's failures from one address do not stop the owner signing in from another", async () => {
      const email = await givenOwner();
      const attacker = await from("127.0.0.2");
      assert.deepEqual(
        await statuses(attacker, email, FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS + 3),
        [401, 401, 401, 401, 401, 429, 429, 429],
      );
      const refused = await attacker(email, PASSWORD);
      assert.equal(refused.status, 429, "from the throttled address even the right password is refused: a guess learns nothing");
      assert.match(refused.body, /Too many unsuccessful sign-in attempts from your network\. Wait a minute and try again\./);
      const owner = await from("127.0.0.1");
      const signedIn = await owner(email, PASSWORD);
      assert.equal(signedIn.status, 303);
      assert.equal(signedIn.location, "/account");
    });

    test("the attacker stays throttled, and the wait doubles with each failure past the free ones", async () => {
      const email = await givenOwner();
      const attacker = await from("127.0.0.3");
      await statuses(attacker, email, FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS);
      const waits = [];
      let moved = 0;
      try {
        for (let round = 0; round < 3; round++) {
          const refused = await attacker(email, "wrong password!!");
          assert.equal(refused.status, 429);
          waits.push(Number(refused.headers["retry-after"]));
          t.advanceClock(waits.at(-1)! * 1000);
          moved += waits.at(-1)! * 1000;
          assert.equal((await attacker(email, "wrong password!!")).status, 401, "after the wait one more attempt is let through");
        }
        const last = await attacker(email, "wrong password!!");
        assert.equal(last.status, 429);
        assert.match(last.body, /Wait 8 minutes/);
      } finally {
        t.advanceClock(-moved);
      }
      assert.deepEqual(waits, [60, 120, 240]);
    });

    test("attempts the throttle refused do not extend the wait", async () => {
      const email = await givenOwner();
      const attacker = await from("127.0.0.4");
      await statuses(attacker, email, FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS);
      assert.deepEqual(await statuses(attacker, email, 10), Array(10).fill(429));
      t.advanceClock(60_000);
      try {
        assert.equal((await attacker(email, PASSWORD)).status, 303, "the wait ends a minute after the last real failure");
      } finally {
        t.advanceClock(-60_000);
      }
    });

    test("a successful sign-in forgets that account's failures from that address", async () => {
      const email = await givenOwner();
      const owner = await from("127.0.0.5");
      const typos = FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS - 1;
      assert.deepEqual(await statuses(owner, email, typos), Array(typos).fill(401));
      assert.equal((await owner(email, PASSWORD)).status, 303);
      assert.deepEqual(await statuses(owner, email, typos), Array(typos).fill(401));
      assert.equal((await owner(email, PASSWORD)).status, 303);
    });

    test("one address failing for many accounts is throttled (password spraying); other addresses are not", async () => {
      const email = await givenOwner();
      const sprayer = await from("127.0.0.6");
      const seen = [];
      for (let i = 0; i < ADDRESS_FAILURE_LIMIT; i++) seen.push((await sprayer(`sprayed-${i}@example.org`, "Summer2024!")).status);
      assert.deepEqual(seen, Array(ADDRESS_FAILURE_LIMIT).fill(401));
      const refused = await sprayer(email, PASSWORD);
      assert.equal(refused.status, 429);
      assert.equal(
        Number(refused.headers["retry-after"]) > 3000,
        true,
        "the address waits until its oldest counted failure is an hour old",
      );
      assert.equal((await (await from("127.0.0.7"))(email, PASSWORD)).status, 303);
    });
  });
}
