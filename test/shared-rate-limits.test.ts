import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Clinic } from "../src/clinics/clinic.js";
import { testDialects } from "./support/databases.js";
import { csrfFrom, type HttpClient } from "./support/http-client.js";
import { givenClinic, startTestApp, type TestApp } from "./support/harness.js";
import { REDIS_URL, deleteRedisKeys, redisKeys, startSecondInstance, uniqueRedisPrefix } from "./support/redis.js";
import { connectTestIdp, type SamlClinic } from "./support/saml-flow.js";

const SIGN_IN_LIMIT = 3;

/** Two instances of the app on one database and one Redis, as behind a load balancer. */
async function startTwoInstances(dialect: Parameters<typeof startTestApp>[0], env: Record<string, string> = {}) {
  const prefix = uniqueRedisPrefix();
  const first = await startTestApp(dialect, {
    env: { REDIS_URL, REDIS_KEY_PREFIX: prefix, ...env },
    signInRateLimitPerMinute: SIGN_IN_LIMIT,
  });
  const second = await startSecondInstance(first, { signInRateLimitPerMinute: SIGN_IN_LIMIT });
  return {
    first,
    second,
    prefix,
    close: async () => {
      await second.close();
      await first.close();
      await deleteRedisKeys(prefix);
    },
  };
}

/** Records a post to the ACS leaves behind: the clinic's SSO events and audit events. */
async function signInRecords(t: TestApp, clinic: Clinic): Promise<number> {
  const events = await t.db.selectFrom("sso_events").where("clinic_id", "=", clinic.id).select("id").execute();
  const audit = await t.db.selectFrom("audit_events").where("clinic_id", "=", clinic.id).select("id").execute();
  return events.length + audit.length;
}

/** A signed response from the clinic's real IdP that nobody asked for: refused after a full validation (403). */
async function unsolicitedResponse(s: SamlClinic): Promise<string> {
  return s.idp.buildResponse({ spEntityId: s.sp.entityId, acsUrl: s.sp.acsUrl, email: `someone@${s.clinic.subdomain}.example` });
}

async function postToAcsOf(t: TestApp, client: HttpClient, s: SamlClinic) {
  return client.postForm(t.clinicUrl(s.clinic.subdomain, "/saml/acs"), { SAMLResponse: await unsolicitedResponse(s) });
}

for (const dialect of testDialects()) {
  describe(`password sign-in limit shared by two instances through Redis (${dialect})`, () => {
    let pair: Awaited<ReturnType<typeof startTwoInstances>>;
    before(async () => (pair = await startTwoInstances(dialect)));
    after(() => pair.close());

    test("attempts from one address count once across both instances", async () => {
      const { first, second } = pair;
      const attempt = async (client: HttpClient, i: number) => {
        const page = await client.get(first.main("/sign-in"));
        return client.postForm(first.main("/sign-in"), {
          _csrf: csrfFrom(page.body),
          email: `shared-${i}@example.org`,
          password: "wrong password!!",
        });
      };
      const one = first.client("127.0.0.21");
      const two = second.client("127.0.0.21");
      const seen = [];
      for (const [i, client] of [one, two, one, two].entries()) seen.push(await attempt(client, i));
      assert.deepEqual(
        seen.map((res) => res.status),
        [401, 401, 401, 429],
      );
      assert.ok(Number(seen[3]!.headers["retry-after"]) >= 1, "the refusal says when to come back");
      assert.match(seen[3]!.body, /Too many attempts from your network/);
      assert.equal((await attempt(one, 4)).status, 429, "the first instance refuses too");
      assert.equal((await attempt(first.client("127.0.0.22"), 5)).status, 401, "another address has its own allowance");
      assert.ok((await redisKeys(pair.prefix)).length > 0, "the counts are in Redis, under this app's prefix");
    });
  });

  describe(`ACS limit per address, shared by two instances (${dialect})`, () => {
    let pair: Awaited<ReturnType<typeof startTwoInstances>>;
    before(async () => (pair = await startTwoInstances(dialect, { ACS_RATE_LIMIT_PER_IP: "3", ACS_RATE_LIMIT_PER_CLINIC: "100" })));
    after(() => pair.close());

    test("the fourth post from one address in a minute is a 429 page with Retry-After, and writes no sign-in records", async () => {
      const { first, second } = pair;
      const s = await connectTestIdp(first, await givenClinic(first));
      const one = first.client("127.0.0.31");
      const two = second.client("127.0.0.31");
      const statuses = [];
      for (const client of [one, two, one]) statuses.push((await postToAcsOf(first, client, s)).status);
      assert.deepEqual(statuses, [403, 403, 403]);
      const recordsBefore = await signInRecords(first, s.clinic);
      const refused = await postToAcsOf(first, two, s);
      assert.equal(refused.status, 429);
      assert.match(String(refused.headers["content-type"]), /text\/html/);
      assert.match(refused.body, /Too many sign-ins have come from your network in the last minute\. Wait a minute and sign in again\./);
      const retryAfter = Number(refused.headers["retry-after"]);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After is within the minute: ${retryAfter}`);
      assert.equal((await postToAcsOf(first, one, s)).status, 429, "the other instance refuses too");
      assert.equal(await signInRecords(first, s.clinic), recordsBefore, "a refused post is not validated and leaves no record");
      assert.equal((await postToAcsOf(first, second.client("127.0.0.32"), s)).status, 403, "another address still reaches the ACS");
    });
  });

  describe(`ACS limit per clinic, whatever the address (${dialect})`, () => {
    let pair: Awaited<ReturnType<typeof startTwoInstances>>;
    before(async () => (pair = await startTwoInstances(dialect, { ACS_RATE_LIMIT_PER_IP: "100", ACS_RATE_LIMIT_PER_CLINIC: "4" })));
    after(() => pair.close());

    test("posts from many addresses to one clinic share its allowance; other clinics keep theirs", async () => {
      const { first, second } = pair;
      const busy = await connectTestIdp(first, await givenClinic(first));
      const other = await connectTestIdp(first, await givenClinic(first));
      const addresses = ["127.0.0.41", "127.0.0.42", "127.0.0.43", "127.0.0.44"];
      const statuses = [];
      for (const [i, address] of addresses.entries()) {
        const client = i % 2 === 0 ? first.client(address) : second.client(address);
        statuses.push((await postToAcsOf(first, client, busy)).status);
      }
      assert.deepEqual(statuses, [403, 403, 403, 403]);
      const recordsBefore = await signInRecords(first, busy.clinic);
      const refused = await postToAcsOf(first, second.client("127.0.0.45"), busy);
      assert.equal(refused.status, 429, "a fifth address is refused: the clinic's allowance is spent");
      assert.match(refused.body, /Your clinic has had more sign-ins in the last minute than we can take at once/);
      assert.ok(Number(refused.headers["retry-after"]) >= 1);
      assert.equal(await signInRecords(first, busy.clinic), recordsBefore);
      assert.equal((await postToAcsOf(first, first.client("127.0.0.45"), other)).status, 403, "the same address reaches another clinic");
    });
  });

  describe(`ACS limit per address behind one trusted proxy (${dialect})`, () => {
    let pair: Awaited<ReturnType<typeof startTwoInstances>>;
    before(
      async () =>
        (pair = await startTwoInstances(dialect, { TRUST_PROXY: "1", ACS_RATE_LIMIT_PER_IP: "2", ACS_RATE_LIMIT_PER_CLINIC: "100" })),
    );
    after(() => pair.close());

    test("the address counted is the one the proxy saw, not one the client wrote", async () => {
      const { first, second } = pair;
      const s = await connectTestIdp(first, await givenClinic(first));
      const post = async (client: HttpClient, forwardedFor: string) =>
        (
          await client.postForm(
            first.clinicUrl(s.clinic.subdomain, "/saml/acs"),
            { SAMLResponse: await unsolicitedResponse(s) },
            { "x-forwarded-for": forwardedFor },
          )
        ).status;
      const proxy = first.client("127.0.0.51");
      const viaOtherInstance = second.client("127.0.0.51");
      // The client forges a new left-most entry each time; the proxy appends the real address, 198.51.100.7.
      assert.deepEqual(
        [
          await post(proxy, "10.0.0.1, 198.51.100.7"),
          await post(viaOtherInstance, "10.0.0.2, 198.51.100.7"),
          await post(proxy, "10.0.0.3, 198.51.100.7"),
        ],
        [403, 403, 429],
      );
      assert.equal(await post(proxy, "198.51.100.8"), 403, "a colleague at another address behind the same proxy is not refused");
    });
  });
}
