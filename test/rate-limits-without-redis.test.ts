import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import type { Dialect } from "../src/db/open.js";
import { testDialects } from "./support/databases.js";
import { csrfFrom, type HttpClient } from "./support/http-client.js";
import { freePort, givenClinic, startTestApp, type TestApp } from "./support/harness.js";
import {
  WARN,
  capturedLog,
  deleteRedisKeys,
  eventually,
  startRedisRelay,
  startSecondInstance,
  uniqueRedisPrefix,
} from "./support/redis.js";
import { connectTestIdp, type SamlClinic } from "./support/saml-flow.js";

const SIGN_IN_LIMIT = 3;
const REDIS_AWAY = "Redis is unavailable: rate limits are counted in each process until it returns";
const REDIS_BACK = "Redis is back: rate limits are shared between instances again";

/** Two instances pointed at `redisUrl`, each with its own captured log. */
async function startTwoInstances(dialect: Dialect, redisUrl: string, env: Record<string, string> = {}) {
  const prefix = uniqueRedisPrefix();
  const firstLog = capturedLog();
  const secondLog = capturedLog();
  const first = await startTestApp(dialect, {
    env: { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, ...env },
    signInRateLimitPerMinute: SIGN_IN_LIMIT,
    logger: firstLog.logger,
  });
  const second = await startSecondInstance(first, { signInRateLimitPerMinute: SIGN_IN_LIMIT, logger: secondLog.logger });
  const warnings = (log: typeof firstLog) => log.records.filter((r) => r.level >= WARN && r.msg === REDIS_AWAY).length;
  return {
    first,
    second,
    logs: [firstLog, secondLog] as const,
    warnings: () => [warnings(firstLog), warnings(secondLog)],
    close: async () => {
      await second.close();
      await first.close();
      await deleteRedisKeys(prefix);
    },
  };
}

let attempts = 0;
/** A wrong password for a new email each time (the per-account throttle stays out of it) posted to the main site's form. */
async function failedSignIn(t: TestApp, client: HttpClient): Promise<number> {
  const page = await client.get(t.main("/sign-in"));
  attempts += 1;
  const email = `nobody-${attempts}@example.org`;
  const res = await client.postForm(t.main("/sign-in"), { _csrf: csrfFrom(page.body), email, password: "wrong password!!" });
  if (res.status === 429) assert.match(res.body, /Too many attempts from your network/, "refused by the rate limit");
  return res.status;
}

async function postToAcs(t: TestApp, client: HttpClient, s: SamlClinic): Promise<number> {
  const response = await s.idp.buildResponse({
    spEntityId: s.sp.entityId,
    acsUrl: s.sp.acsUrl,
    email: `someone@${s.clinic.subdomain}.example`,
  });
  return (await client.postForm(t.clinicUrl(s.clinic.subdomain, "/saml/acs"), { SAMLResponse: response })).status;
}

for (const dialect of testDialects()) {
  describe(`Redis down at start (${dialect})`, () => {
    let pair: Awaited<ReturnType<typeof startTwoInstances>>;
    after(() => pair.close());

    test("the app starts, answers, and limits each process on its own, with one warning each", async () => {
      pair = await startTwoInstances(dialect, `redis://127.0.0.1:${await freePort()}`, { ACS_RATE_LIMIT_PER_IP: "2" });
      const { first, second } = pair;
      const one = first.client("127.0.0.61");
      const two = second.client("127.0.0.61");
      const onFirst = [];
      for (let i = 0; i < SIGN_IN_LIMIT + 1; i++) onFirst.push(await failedSignIn(first, one));
      assert.deepEqual(onFirst, [401, 401, 401, 429], "the first instance still limits, in its own memory");
      assert.equal(await failedSignIn(first, two), 401, "the second instance has counted nothing: the counts are per process");
      const s = await connectTestIdp(first, await givenClinic(first));
      assert.deepEqual([await postToAcs(first, one, s), await postToAcs(first, one, s), await postToAcs(first, one, s)], [403, 403, 429]);
      assert.deepEqual(pair.warnings(), [1, 1], "one warning per instance, however many requests fell back");
    });
  });

  describe(`Redis lost while running, and back (${dialect})`, () => {
    let pair: Awaited<ReturnType<typeof startTwoInstances>>;
    let relay: Awaited<ReturnType<typeof startRedisRelay>>;
    after(async () => {
      await pair.close();
      await relay.stop();
    });

    test("counts fall back to each process while Redis is away, and are shared again when it returns", async () => {
      relay = await startRedisRelay();
      pair = await startTwoInstances(dialect, relay.url);
      const { first, second } = pair;
      const one = first.client("127.0.0.71");
      const two = second.client("127.0.0.71");
      assert.deepEqual([await failedSignIn(first, one), await failedSignIn(first, two)], [401, 401], "two attempts counted in Redis");
      assert.deepEqual(pair.warnings(), [0, 0]);

      await relay.stop();
      const whileAway = [];
      for (let i = 0; i < SIGN_IN_LIMIT + 2; i++) whileAway.push(await failedSignIn(first, one));
      assert.deepEqual(whileAway, [401, 401, 401, 429, 429], "no 500: the first instance counts in its own memory, from zero");
      assert.deepEqual(pair.warnings()[0], 1, "one warning, however many requests fell back");

      await relay.start();
      await eventually(() => pair.logs.every((log) => log.records.some((r) => r.msg === REDIS_BACK)), "both instances reconnect to Redis");
      // The second instance never counted in memory: only Redis's count of 2 can make its second attempt here a 429.
      assert.deepEqual([await failedSignIn(first, two), await failedSignIn(first, two)], [401, 429], "the shared count goes on from 2");
      assert.deepEqual(pair.warnings(), [1, 1]);
    });
  });
  describe(`Redis that stops answering (${dialect})`, () => {
    let pair: Awaited<ReturnType<typeof startTwoInstances>>;
    let relay: Awaited<ReturnType<typeof startRedisRelay>>;
    after(async () => {
      await pair.close();
      await relay.stop();
    });

    // A bound that only turns a request left waiting on Redis forever into a failure rather than a hung run.
    test(
      "a command that times out is counted in the process instead, and Redis rests before it is asked again",
      { timeout: 120_000 },
      async () => {
        relay = await startRedisRelay();
        pair = await startTwoInstances(dialect, relay.url);
        const { first } = pair;
        const one = first.client("127.0.0.81");
        assert.equal(await failedSignIn(first, one), 401, "counted in Redis");
        relay.hang();
        const whileHung = [];
        for (let i = 0; i < SIGN_IN_LIMIT + 1; i++) whileHung.push(await failedSignIn(first, one));
        assert.deepEqual(whileHung, [401, 401, 401, 429], "no 500 and no request left waiting: counted in memory, from zero");
        assert.equal(relay.swallowed(), 1, "after the one timeout the next requests do not wait on Redis");
        assert.deepEqual(pair.warnings()[0], 1);
      },
    );
  });
}
