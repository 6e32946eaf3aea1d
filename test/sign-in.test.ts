import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { sha256Hex } from "../src/ids.js";
import { testSamlSignIn } from "../src/sign-in/sign-in-with-saml.js";
import { verifyOnThisThread } from "../src/sso/saml/response-verifier.js";
import { serviceProviderUrls } from "../src/sso/saml/service-provider.js";
import { testDialects } from "./support/databases.js";
import { csrfFrom } from "./support/http-client.js";
import { PASSWORD, givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, postToAcs, startLogin, type SamlClinic, idpResponse } from "./support/saml-flow.js";

// The use case on its own, verifying on this thread: the worker pool is covered over HTTP in saml-verification-pool.test.ts.
const verifier = verifyOnThisThread();

for (const dialect of testDialects()) {
  describe(`the sign-in core (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    async function samlClinic(seats: number, flags: Record<string, unknown> = {}): Promise<SamlClinic & { member: string }> {
      const clinic = await givenClinic(t, seats, "Riverside Care");
      const member = `nina@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email: member, name: "Nina Nurse" });
      return { ...(await connectTestIdp(t, clinic, flags)), member };
    }

    /** The login-CSRF binding value the client's browser holds for the clinic (set by /saml/login). */
    function bindingOf(client: ReturnType<TestApp["client"]>, s: SamlClinic): string | null {
      return client.cookie(new URL(t.clinicUrl(s.clinic.subdomain)).hostname, "sso-binding") ?? null;
    }

    async function signedResponse(s: SamlClinic, client: ReturnType<TestApp["client"]>, email: string) {
      const { requestId } = await startLogin(t, client, s.clinic);
      return idpResponse(s, { email, inResponseTo: requestId, attributes: { email } });
    }

    const sessionCookie = (client: ReturnType<TestApp["client"]>, s: SamlClinic) =>
      client.cookie(new URL(t.clinicUrl(s.clinic.subdomain)).hostname, "session");

    /** Makes the database die at the success's SSO event, the last write of a SAML sign-in, for one clinic. */
    async function killConnectionAtSuccessEvent(clinicId: string): Promise<() => Promise<void>> {
      if (dialect === "postgres") {
        await sql
          .raw(
            `create function kill_sign_in() returns trigger language plpgsql as $$ begin perform pg_terminate_backend(pg_backend_pid()); return new; end $$`,
          )
          .execute(t.db);
        await sql
          .raw(
            `create trigger kill_sign_in before insert on sso_events for each row when (new.outcome = 'success' and new.clinic_id = '${clinicId}') execute function kill_sign_in()`,
          )
          .execute(t.db);
        return async () => {
          await sql.raw(`drop trigger kill_sign_in on sso_events`).execute(t.db);
          await sql.raw(`drop function kill_sign_in()`).execute(t.db);
        };
      }
      await sql
        .raw(
          `create trigger kill_sign_in before insert on sso_events when new.outcome = 'success' and new.clinic_id = '${clinicId}' begin select raise(abort, 'killed'); end`,
        )
        .execute(t.db);
      return async () => void (await sql.raw(`drop trigger kill_sign_in`).execute(t.db));
    }

    test("a SAML sign-in whose connection dies at its last write commits none of its writes", async () => {
      const s = await samlClinic(5, { jitProvisioning: true });
      const client = t.client();
      // The browser already has a password session: ending it is one of the sign-in's writes too.
      assert.equal((await signInWithPasswordForm(client, t.clinicUrl(s.clinic.subdomain, "/sign-in"), s.member)).status, 303);
      const previous = sessionCookie(client, s)!;
      const restore = await killConnectionAtSuccessEvent(s.clinic.id);
      try {
        // A PostgreSQL connection lost mid-request is an outage (503, try again); SQLite's abort is a fault (500).
        const refused = dialect === "postgres" ? 503 : 500;
        const existing = await postToAcs(t, client, s.clinic.subdomain, await signedResponse(s, client, s.member));
        assert.equal(existing.status, refused);
        const newcomer = `newcomer@${s.clinic.subdomain}.example`;
        const provisioned = await postToAcs(t, client, s.clinic.subdomain, await signedResponse(s, client, newcomer));
        assert.equal(provisioned.status, refused);
        assert.doesNotMatch(provisioned.body, /killed|terminat|sso_events/i, "nothing of the fault reaches the page");

        const user = await t.db.selectFrom("users").select("id").where("email", "=", s.member).executeTakeFirstOrThrow();
        const sessions = await t.db.selectFrom("sessions").select(["id", "auth_method"]).where("user_id", "=", user.id).execute();
        assert.deepEqual(
          sessions,
          [{ id: sha256Hex(previous), auth_method: "password" }],
          "no SAML session, and the previous one lives on",
        );
        const membership = await t.db
          .selectFrom("memberships")
          .select("last_sign_in_method")
          .where("user_id", "=", user.id)
          .executeTakeFirstOrThrow();
        assert.equal(membership.last_sign_in_method, "password", "no SAML sign-in time");
        const connection = await t.db
          .selectFrom("saml_connections")
          .select("last_success_at")
          .where("clinic_id", "=", s.clinic.id)
          .executeTakeFirstOrThrow();
        assert.equal(connection.last_success_at, null, "no success mark");
        const audits = await t.db
          .selectFrom("audit_events")
          .select("action")
          .where("clinic_id", "=", s.clinic.id)
          .where("action", "in", ["sign_in.saml", "member.jit_provision"])
          .execute();
        assert.deepEqual(audits, [], "no audit event");
        assert.equal(
          await t.db.selectFrom("users").select("id").where("email", "=", newcomer).executeTakeFirst(),
          undefined,
          "no JIT member",
        );
        const answered = await t.db
          .selectFrom("saml_requests")
          .select("id")
          .where("clinic_id", "=", s.clinic.id)
          .where("consumed_at", "is not", null)
          .execute();
        assert.deepEqual(answered, [], "no request answered: it can be answered again");
        const remembered = await t.db
          .selectFrom("saml_assertions_seen")
          .select("assertion_id")
          .where("clinic_id", "=", s.clinic.id)
          .execute();
        assert.deepEqual(remembered, [], "no assertion remembered");
      } finally {
        await restore();
      }
      // The same sign-in with a healthy database goes through.
      assert.equal((await postToAcs(t, client, s.clinic.subdomain, await signedResponse(s, client, s.member))).status, 303);
    });

    test("a SAML sign-in ends the browser's previous session", async () => {
      const s = await samlClinic(5);
      const client = t.client();
      await signInWithPasswordForm(client, t.clinicUrl(s.clinic.subdomain, "/sign-in"), s.member);
      const previous = sessionCookie(client, s)!;
      assert.equal((await postToAcs(t, client, s.clinic.subdomain, await signedResponse(s, client, s.member))).status, 303);
      assert.notEqual(sessionCookie(client, s), previous);
      assert.equal(await t.db.selectFrom("sessions").select("id").where("id", "=", sha256Hex(previous)).executeTakeFirst(), undefined);
    });

    test("a password sign-in ends the browser's previous session", async () => {
      const s = await samlClinic(5);
      const earlier = t.client();
      await signInWithPasswordForm(earlier, t.clinicUrl(s.clinic.subdomain, "/sign-in"), s.member);
      const previous = sessionCookie(earlier, s)!;
      const client = t.client();
      const page = await client.get(t.clinicUrl(s.clinic.subdomain, "/sign-in"));
      client.setCookie(new URL(t.clinicUrl(s.clinic.subdomain)).hostname, "session", previous);
      const res = await client.postForm(t.clinicUrl(s.clinic.subdomain, "/sign-in"), {
        _csrf: csrfFrom(page.body),
        email: s.member,
        password: PASSWORD,
      });
      assert.equal(res.status, 303);
      assert.notEqual(sessionCookie(client, s), previous);
      assert.equal(await t.db.selectFrom("sessions").select("id").where("id", "=", sha256Hex(previous)).executeTakeFirst(), undefined);
    });

    async function countRows(clinicId: string) {
      const count = async (table: "users" | "sessions" | "saml_assertions_seen" | "audit_events" | "sso_events" | "memberships") =>
        Number(
          (
            await t.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<string | number>().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const consumed = await t.db
        .selectFrom("saml_requests")
        .select("id")
        .where("clinic_id", "=", clinicId)
        .where("consumed_at", "is not", null)
        .execute();
      const connection = await t.db
        .selectFrom("saml_connections")
        .select("last_success_at")
        .where("clinic_id", "=", clinicId)
        .executeTakeFirstOrThrow();
      return {
        users: await count("users"),
        memberships: await count("memberships"),
        sessions: await count("sessions"),
        seen: await count("saml_assertions_seen"),
        audit: await count("audit_events"),
        ssoEvents: await count("sso_events"),
        consumed: consumed.length,
        lastSuccessAt: connection.last_success_at,
      };
    }

    test("a test sign-in reports the identity and the member it would sign in, and creates nothing", async () => {
      const s = await samlClinic(2, { jitProvisioning: true });
      const client = t.client();
      const sp = serviceProviderUrls(t.config, s.clinic.subdomain);
      const existing = await signedResponse(s, client, s.member.toUpperCase());
      const newcomer = await signedResponse(s, client, `nora@${s.clinic.subdomain}.example`);
      const before = await countRows(s.clinic.id);

      const browserBinding = bindingOf(client, s);
      const asMember = await testSamlSignIn(t.db, s.clinic, { samlResponse: existing, sp, browserBinding }, verifier, new Date());
      assert.ok(asMember.ok);
      assert.equal(asMember.identity.email, s.member);
      assert.equal(asMember.identity.issuer, s.idp.entityId);
      assert.deepEqual(asMember.member, { kind: "existing", email: s.member, name: "Nina Nurse", role: "provider" });
      const asNewcomer = await testSamlSignIn(t.db, s.clinic, { samlResponse: newcomer, sp, browserBinding }, verifier, new Date());
      assert.ok(asNewcomer.ok);
      assert.deepEqual(asNewcomer.member, { kind: "provision", email: `nora@${s.clinic.subdomain}.example` });

      assert.deepEqual(
        await countRows(s.clinic.id),
        before,
        "no member, session, seat, consumed request, replay entry, event or success mark",
      );
      // Nothing was used up: the very same responses still sign in for real.
      assert.equal((await postToAcs(t, client, s.clinic.subdomain, existing)).status, 303);
      assert.equal((await postToAcs(t, client, s.clinic.subdomain, newcomer)).status, 303);
    });

    test("a test sign-in reports the first failure a real sign-in would meet", async () => {
      const s = await samlClinic(1, { jitProvisioning: true });
      const client = t.client();
      const sp = serviceProviderUrls(t.config, s.clinic.subdomain);
      const full = await testSamlSignIn(
        t.db,
        s.clinic,
        { samlResponse: await signedResponse(s, client, `late@${s.clinic.subdomain}.example`), sp, browserBinding: bindingOf(client, s) },
        verifier,
        new Date(),
      );
      assert.deepEqual([full.ok, !full.ok && full.code], [false, "seat_limit_reached"]);
      const forged = await testSamlSignIn(
        t.db,
        s.clinic,
        { samlResponse: Buffer.from("<nope/>").toString("base64"), sp, browserBinding: null },
        verifier,
        new Date(),
      );
      assert.equal(forged.ok, false);
      const used = await signedResponse(s, client, s.member);
      assert.equal((await postToAcs(t, client, s.clinic.subdomain, used)).status, 303);
      const replay = await testSamlSignIn(
        t.db,
        s.clinic,
        { samlResponse: used, sp, browserBinding: bindingOf(client, s) },
        verifier,
        new Date(),
      );
      assert.deepEqual([replay.ok, !replay.ok && replay.code], [false, "request_already_used"]);
    });
  });
}
