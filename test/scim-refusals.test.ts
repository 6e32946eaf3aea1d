import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Clinic } from "../src/clinics/clinic.js";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, startTestApp, type TestApp } from "./support/harness.js";
import { TransactionBarrier } from "./support/transaction-barrier.js";
import {
  assertScimError,
  filterQuery,
  givenScimToken,
  membershipOf,
  scimClient,
  SCIM_CONTENT_TYPE,
  seatsUsed,
  type ScimClient,
} from "./support/scim-flow.js";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

for (const dialect of testDialects()) {
  describe(`SCIM endpoint: pages, filters, tokens and refusals (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    async function scimClinic(seats = 10): Promise<{ clinic: Clinic; scim: ScimClient; token: string; tokenId: string }> {
      const clinic = await givenClinic(t, seats, "Bayview Clinic");
      await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      const { id, token } = await givenScimToken(t, clinic);
      return { clinic, scim: scimClient(t, clinic, token), token, tokenId: id };
    }

    test("lists in pages with startIndex and count, and filters by userName, externalId and both", async () => {
      const { clinic, scim } = await scimClinic();
      for (let i = 1; i <= 5; i++) {
        const res = await scim.post("/Users", {
          schemas: [USER_SCHEMA],
          userName: `u${i}@${clinic.subdomain}.example`,
          externalId: `ext-${i}`,
        });
        assert.equal(res.status, 201, res.body);
      }
      const pages = [];
      for (const start of [1, 3, 5]) {
        const page = (await scim.get(`/Users?startIndex=${start}&count=2`)).json();
        assert.deepEqual([page.totalResults, page.startIndex], [6, start]);
        pages.push(...page.Resources.map((r: { userName: string }) => r.userName));
      }
      assert.equal(new Set(pages).size, 6, "every member exactly once across the pages");
      assert.deepEqual((await scim.get("/Users?startIndex=7&count=2")).json().Resources, []);
      const none = (await scim.get("/Users?count=0")).json();
      assert.deepEqual([none.totalResults, none.itemsPerPage], [6, 0]);
      const byExternal = (await scim.get(`/Users${filterQuery('externalId eq "ext-3"')}`)).json();
      assert.deepEqual(
        byExternal.Resources.map((r: { userName: string }) => r.userName),
        [`u3@${clinic.subdomain}.example`],
      );
      const both = await scim.get(`/Users${filterQuery(`userName eq "u3@${clinic.subdomain}.example" and externalId eq "ext-4"`)}`);
      assert.equal(both.json().totalResults, 0);
    });

    test("malformed and unsupported filters answer 400 invalidFilter", async () => {
      const { scim } = await scimClinic();
      for (const filter of [
        'userName co "a"',
        'title eq "Dr"',
        "userName eq unquoted",
        'userName eq "a" or userName eq "b"',
        '(userName eq "a")',
        'userName eq "a" and',
        "",
      ]) {
        assertScimError(await scim.get(`/Users${filterQuery(filter)}`), 400, "invalidFilter");
      }
      assertScimError(await scim.get("/Users?startIndex=one"), 400, "invalidValue");
    });

    test("token rotation: several tokens work at once, a revoked one is refused at once", async () => {
      const { clinic, scim: first, tokenId } = await scimClinic();
      const second = await givenScimToken(t, clinic);
      const rotated = scimClient(t, clinic, second.token);
      assert.equal((await first.get("/Users")).status, 200);
      assert.equal((await rotated.get("/Users")).status, 200);
      const revoked = await t
        .client()
        .send("DELETE", t.main(`/api/v1/clinics/${clinic.subdomain}/scim/tokens/${tokenId}`), undefined, t.operator);
      assert.equal(revoked.status, 200, revoked.body);
      assertScimError(await first.get("/Users"), 401);
      assert.equal((await rotated.get("/Users")).status, 200);
      const listed = (await t.client().get(t.main(`/api/v1/clinics/${clinic.subdomain}/scim/tokens`), t.operator)).json();
      assert.deepEqual(
        listed.tokens.map((k: { id: string }) => k.id),
        [second.id],
      );
      assert.ok(!JSON.stringify(listed).includes(second.token), "a token is shown once, never listed");
      const stored = await t.db.selectFrom("scim_tokens").select("token_hash").where("id", "=", second.id).executeTakeFirstOrThrow();
      assert.notEqual(stored.token_hash, second.token);
      assert.equal(
        (await t.client().send("DELETE", t.main(`/api/v1/clinics/${clinic.subdomain}/scim/tokens/${tokenId}`), undefined, t.operator))
          .status,
        404,
      );
    });

    test("a missing, wrong or revoked token gets the same 401, which says nothing about which", async () => {
      const { clinic, scim } = await scimClinic();
      const noToken = await t.client().get(t.clinicUrl(clinic.subdomain, "/scim/v2/Users"));
      const wrong = await scimClient(t, clinic, "x".repeat(43)).get("/Users");
      const bodies = [noToken, wrong].map((r) => assertScimError(r, 401).detail);
      assert.deepEqual(bodies, ["Authentication failed.", "Authentication failed."]);
      assert.equal((await scim.get("/Users")).status, 200);
    });

    test("a token of clinic A never touches clinic B: refused on B's host, and B's people are unknown on A's", async () => {
      const a = await scimClinic();
      const b = await scimClinic();
      const bUser = (await b.scim.post("/Users", { schemas: [USER_SCHEMA], userName: `bea@${b.clinic.subdomain}.example` })).json();
      const aTokenOnB = scimClient(t, b.clinic, a.token);
      assertScimError(await aTokenOnB.get("/Users"), 401);
      assertScimError(
        await aTokenOnB.patch(`/Users/${bUser.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] }),
        401,
      );
      assertScimError(await a.scim.get(`/Users/${bUser.id}`), 404);
      assertScimError(
        await a.scim.patch(`/Users/${bUser.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] }),
        404,
      );
      assertScimError(await a.scim.delete(`/Users/${bUser.id}`), 404);
      assert.equal((await a.scim.get(`/Users${filterQuery(`userName eq "bea@${b.clinic.subdomain}.example"`)}`)).json().totalResults, 0);
      assert.equal((await membershipOf(t, `bea@${b.clinic.subdomain}.example`))?.status, "active");
      // B's member cannot be claimed into A either, nor put into A's groups.
      assertScimError(
        await a.scim.post("/Users", { schemas: [USER_SCHEMA], userName: `bea@${b.clinic.subdomain}.example` }),
        409,
        "uniqueness",
      );
      assertScimError(await a.scim.post("/Groups", { displayName: "G", members: [{ value: bUser.id }] }), 400, "invalidValue");
      // The main site has no SCIM endpoint at all.
      const main = await t.client().get(t.main("/scim/v2/Users"), { authorization: `Bearer ${a.token}` });
      assertScimError(main, 404);
    });

    test("no free seat: a SCIM error the IdP shows, nothing written, and one notice for the clinic's admins", async () => {
      const { clinic, scim } = await scimClinic(2);
      assert.equal((await scim.post("/Users", { schemas: [USER_SCHEMA], userName: `first@${clinic.subdomain}.example` })).status, 201);
      const refused = assertScimError(
        await scim.post("/Users", { schemas: [USER_SCHEMA], userName: `second@${clinic.subdomain}.example` }),
        403,
      );
      assert.match(refused.detail, /All 2 seats/);
      assertScimError(await scim.post("/Users", { schemas: [USER_SCHEMA], userName: `third@${clinic.subdomain}.example` }), 403);
      assert.equal(await membershipOf(t, `second@${clinic.subdomain}.example`), undefined);
      const notices = await t.db.selectFrom("notifications").select(["kind", "detail"]).where("clinic_id", "=", clinic.id).execute();
      assert.equal(notices.length, 1, "one open notice, not one per refusal");
      assert.deepEqual([notices[0]!.kind, JSON.parse(notices[0]!.detail).source], ["seats_exhausted", "scim"]);
      // Reactivating someone also needs a seat.
      const first = (await scim.get(`/Users${filterQuery(`userName eq "first@${clinic.subdomain}.example"`)}`)).json().Resources[0];
      await scim.patch(`/Users/${first.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: false }] });
      await givenMember(t, clinic, { email: `late@${clinic.subdomain}.example` });
      assertScimError(
        await scim.patch(`/Users/${first.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: true }] }),
        403,
      );
      // A PUT that renames and reactivates is refused whole: the new name is not kept without the seat.
      const put = await scim.put(`/Users/${first.id}`, {
        schemas: [USER_SCHEMA],
        userName: first.userName,
        name: { givenName: "Renamed", familyName: "Person" },
        active: true,
      });
      assertScimError(put, 403);
      assert.equal((await membershipOf(t, `first@${clinic.subdomain}.example`))?.name, "first");
      assert.equal(await seatsUsed(t, clinic), 2);
    });

    test("the clinic's last active admin cannot be deactivated over SCIM", async () => {
      const { clinic, scim } = await scimClinic();
      const admin = (await scim.get(`/Users${filterQuery(`userName eq "admin@${clinic.subdomain}.example"`)}`)).json().Resources[0];
      assertScimError(
        await scim.patch(`/Users/${admin.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "active", value: "False" }] }),
        409,
      );
      assert.equal((await membershipOf(t, `admin@${clinic.subdomain}.example`))?.status, "active");
    });

    test("bad bodies: invalid values, unknown operations, bad paths, not JSON, too large; unknown attributes are ignored", async () => {
      const { clinic, scim } = await scimClinic();
      assertScimError(await scim.post("/Users", { schemas: [USER_SCHEMA] }), 400, "invalidValue");
      assertScimError(await scim.post("/Users", { schemas: [USER_SCHEMA], userName: "not-an-address" }), 400, "invalidValue");
      assertScimError(
        await scim.post("/Users", { schemas: [USER_SCHEMA], userName: `x@${clinic.subdomain}.example`, active: "maybe" }),
        400,
        "invalidValue",
      );
      assertScimError(
        await scim.post("/Users", { schemas: [USER_SCHEMA], userName: `x@${clinic.subdomain}.example`, name: { givenName: "<script>" } }),
        400,
        "invalidValue",
      );
      assert.equal(await membershipOf(t, `x@${clinic.subdomain}.example`), undefined);
      const ok = await scim.post("/Users", {
        schemas: [USER_SCHEMA],
        userName: `y@${clinic.subdomain}.example`,
        nickName: "Y",
        title: "Dr",
        phoneNumbers: [{ value: "1" }],
      });
      assert.equal(ok.status, 201, ok.body);
      assert.equal(ok.json().nickName, undefined);
      const id = ok.json().id;
      assertScimError(
        await scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: "move", path: "active", value: false }] }),
        400,
        "invalidSyntax",
      );
      assertScimError(await scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [] }), 400, "invalidSyntax");
      assertScimError(
        await scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", path: "emails[type eq", value: "a" }] }),
        400,
        "invalidPath",
      );
      // All or nothing: a valid first operation is not applied when a later one is refused.
      const mixed = await scim.patch(`/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: "replace", path: "active", value: false },
          { op: "replace", path: "userName", value: 42 },
        ],
      });
      assertScimError(mixed, 400, "invalidValue");
      assert.equal((await membershipOf(t, `y@${clinic.subdomain}.example`))?.status, "active");
      const auth = { authorization: `Bearer ${(await givenScimToken(t, clinic)).token}` };
      assertScimError(await scim.raw("POST", "/Users", "{not json", { ...auth, "content-type": SCIM_CONTENT_TYPE }), 400, "invalidSyntax");
      const huge = JSON.stringify({ schemas: [USER_SCHEMA], userName: `z@${clinic.subdomain}.example`, padding: "a".repeat(600 * 1024) });
      assertScimError(await scim.raw("POST", "/Users", huge, { ...auth, "content-type": SCIM_CONTENT_TYPE }), 413);
      assert.equal(await membershipOf(t, `z@${clinic.subdomain}.example`), undefined);
    });

    test("discovery: ServiceProviderConfig, ResourceTypes and Schemas", async () => {
      const { scim } = await scimClinic();
      const config = (await scim.get("/ServiceProviderConfig")).json();
      assert.deepEqual([config.patch.supported, config.bulk.supported, config.filter.supported], [true, false, true]);
      assert.deepEqual(
        (await scim.get("/ResourceTypes")).json().Resources.map((r: { id: string }) => r.id),
        ["User", "Group"],
      );
      assert.equal((await scim.get("/Schemas")).json().totalResults, 2);
    });
  });

  describe(`SCIM races (${dialect})`, () => {
    let t: TestApp;
    const barrier = new TransactionBarrier();
    before(async () => (t = await startTestApp(dialect, { wrapDb: (db) => barrier.wrap(db) })));
    after(() => t.close());

    test("two simultaneous creates of one person make one account: the other answers 409 uniqueness", async () => {
      const clinic = await givenClinic(t, 5);
      const scim = scimClient(t, clinic, (await givenScimToken(t, clinic)).token);
      const person = { schemas: [USER_SCHEMA], userName: `twin@${clinic.subdomain}.example`, externalId: "twin" };
      // Both wait at the start of their transaction until the other arrives: neither has seen the other's account.
      barrier.arm(2);
      const answers = await Promise.all(
        [scim.post("/Users", person), scim.post("/Users", person)].map((r) => r.finally(() => barrier.release())),
      );
      assert.deepEqual(answers.map((r) => r.status).sort(), [201, 409]);
      assertScimError(
        answers.find((r) => r.status === 409)!,
        409,
        "uniqueness",
      );
      const accounts = await t.db.selectFrom("users").select("id").where("email", "=", `twin@${clinic.subdomain}.example`).execute();
      assert.equal(accounts.length, 1);
      assert.equal(await seatsUsed(t, clinic), 1);
    });
  });

  describe(`SCIM rate limit (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect, { env: { SCIM_REQUESTS_PER_MINUTE: "3" } })));
    after(() => t.close());

    test("past the per-clinic limit the IdP gets 429 in SCIM's format; another clinic is not slowed", async () => {
      const busy = await givenClinic(t, 5);
      const calm = await givenClinic(t, 5);
      const scim = scimClient(t, busy, (await givenScimToken(t, busy)).token);
      for (let i = 0; i < 3; i++) assert.equal((await scim.get("/Users")).status, 200);
      assertScimError(await scim.get("/Users"), 429);
      assert.equal((await scimClient(t, calm, (await givenScimToken(t, calm)).token).get("/Users")).status, 200);
    });
  });
}
