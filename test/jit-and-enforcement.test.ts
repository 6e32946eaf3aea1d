import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { csrfFrom } from "./support/http-client.js";
import { testDialects } from "./support/databases.js";
import { PASSWORD, givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { TransactionBarrier } from "./support/transaction-barrier.js";
import {
  connectTestIdp,
  latestSsoEvent,
  postToAcs,
  startLogin,
  type SamlClinic,
  signInThroughIdp,
  idpResponse,
} from "./support/saml-flow.js";

for (const dialect of testDialects()) {
  describe(`JIT provisioning and SSO enforcement (${dialect})`, () => {
    let t: TestApp;
    const barrier = new TransactionBarrier();
    before(async () => (t = await startTestApp(dialect, { wrapDb: (db) => barrier.wrap(db) })));
    after(() => t.close());

    async function samlClinic(seats: number, flags: Record<string, unknown>): Promise<SamlClinic> {
      const clinic = await givenClinic(t, seats, "Lakeside Care");
      await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      return connectTestIdp(t, clinic, flags);
    }

    /** Starts an SP-initiated sign-in; the returned function posts the IdP's answer to the ACS. */
    async function startSignIn(s: SamlClinic, email: string) {
      const client = t.client();
      const { requestId } = await startLogin(t, client, s.clinic);
      const response = await idpResponse(s, { email, inResponseTo: requestId });
      return () => postToAcs(t, client, s.clinic.subdomain, response);
    }

    async function ssoSignIn(s: SamlClinic, email: string, attributes: Record<string, string> = {}) {
      const client = t.client();
      return { client, res: await signInThroughIdp(t, client, s, { email, attributes: { email, ...attributes } }) };
    }

    test("with JIT on, a first sign-in creates a provider account that takes a seat", async () => {
      const s = await samlClinic(3, { jitProvisioning: true });
      const { client, res } = await ssoSignIn(s, "New.Person@Lakeside.example", { firstName: "Nora", lastName: "Newman" });
      assert.equal(res.status, 303);
      const session = (await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json();
      assert.deepEqual(
        [session.email, session.name, session.role, session.roomName, session.authMethod],
        ["new.person@lakeside.example", "Nora Newman", "provider", null, "saml"],
      );
      const clinic = (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}`), t.operator)).json();
      assert.equal(clinic.seatsUsed, 2);
      assert.equal((await latestSsoEvent(t, s.clinic.subdomain)).code, "signed_in_new_member");
      // The onboarding gate: no dashboard before a room name is chosen.
      assert.equal(session.onboardingRequired, true);
      assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/dashboard"))).location, "/welcome");
    });

    test("two simultaneous first sign-ins of one person create one account (the loser of the insert finds the winner's)", async () => {
      const s = await samlClinic(5, { jitProvisioning: true });
      const started = await Promise.all([startSignIn(s, "twin@lakeside.example"), startSignIn(s, "twin@lakeside.example")]);
      // Each waits at the start of its provisioning transaction for the other: both have looked the person up and
      // found no account before either creates one, so the second insert loses to the unique email, every time.
      barrier.arm(2);
      const answers = await Promise.all(started.map((finish) => finish().finally(() => barrier.release())));
      assert.deepEqual(
        answers.map((r) => r.status),
        [303, 303],
      );
      const accounts = await t.db.selectFrom("users").select("id").where("email", "=", "twin@lakeside.example").execute();
      assert.equal(accounts.length, 1);
      const clinic = (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}`), t.operator)).json();
      assert.equal(clinic.seatsUsed, 2);
    });

    test("two people racing for the last seat: exactly one wins", async () => {
      const s = await samlClinic(2, { jitProvisioning: true });
      const results = await Promise.all([ssoSignIn(s, "first@lakeside.example"), ssoSignIn(s, "second@lakeside.example")]);
      assert.deepEqual(results.map((r) => r.res.status).sort(), [303, 403]);
      const loser = results.find((r) => r.res.status === 403)!;
      assert.match(loser.res.body, /Your clinic has no free seats/);
      const clinic = (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}`), t.operator)).json();
      assert.equal(clinic.seatsUsed, 2);
    });

    test("with no free seat a new person gets a clear page and the admins an event", async () => {
      const s = await samlClinic(1, { jitProvisioning: true });
      const { res } = await ssoSignIn(s, "late@lakeside.example");
      assert.equal(res.status, 403);
      assert.match(res.body, /no free seats/);
      const event = await latestSsoEvent(t, s.clinic.subdomain);
      assert.equal(event.code, "seat_limit_reached");
      assert.equal(event.email, "late@lakeside.example");
    });

    test("with JIT off an unknown person is told the clinic has not added them", async () => {
      const s = await samlClinic(5, {});
      const { res } = await ssoSignIn(s, "unknown@lakeside.example");
      assert.match(res.body, /Your clinic has not added you yet/);
      assert.equal((await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}`), t.operator)).json().seatsUsed, 1);
    });

    test("enforcement is refused before the first successful SSO sign-in, then allowed", async () => {
      const s = await samlClinic(5, {});
      const url = t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`);
      const early = await t.client().postJson(url, { enforceSso: true }, t.operator, "PATCH");
      assert.equal(early.status, 409);
      assert.match(early.json().message, /after at least one successful SSO sign-in/);
      assert.equal((await ssoSignIn(s, `admin@${s.clinic.subdomain}.example`)).res.status, 303);
      const later = await t.client().postJson(url, { enforceSso: true }, t.operator, "PATCH");
      assert.equal(later.status, 200);
      assert.equal(later.json().enforceSso, true);
    });

    test("when enforced, the clinic page offers only SSO and refuses a password POST; the main site still takes it", async () => {
      const s = await samlClinic(5, {});
      const email = `admin@${s.clinic.subdomain}.example`;
      await ssoSignIn(s, email);
      const client = t.client();
      // A form loaded before enforcement was switched on, submitted after it.
      const before = await client.get(t.clinicUrl(s.clinic.subdomain, "/sign-in"));
      await t.client().postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`), { enforceSso: true }, t.operator, "PATCH");
      const page = await client.get(t.clinicUrl(s.clinic.subdomain, "/sign-in"));
      assert.match(page.body, /Sign in with SSO/);
      assert.doesNotMatch(page.body, /type="password"/);
      const post = await client.postForm(t.clinicUrl(s.clinic.subdomain, "/sign-in"), {
        _csrf: csrfFrom(before.body),
        email,
        password: PASSWORD,
      });
      assert.equal(post.status, 403);
      assert.match(post.body, /Your clinic signs you in with single sign-on/);
      assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).status, 401);
      const main = t.client();
      const fallback = await signInWithPasswordForm(main, t.main("/sign-in"), email);
      assert.equal(fallback.location, "/account");
      const account = await main.get(t.main("/account"));
      assert.match(account.body, /Go to your clinic dashboard/);
      const audit = await t.db
        .selectFrom("audit_events")
        .selectAll()
        .where("action", "=", "sign_in.password")
        .where("target", "=", email)
        .where("outcome", "=", "success")
        .execute();
      assert.equal(JSON.parse(audit.at(-1)!.detail).site, "main", "the fallback is recorded as a main-site sign-in");
    });

    test("an attacker's failed passwords on the main site do not close the fallback for the owner of an enforced clinic", async () => {
      const s = await samlClinic(5, {});
      const email = `admin@${s.clinic.subdomain}.example`;
      await ssoSignIn(s, email);
      await t.client().postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`), { enforceSso: true }, t.operator, "PATCH");
      const attacker = t.client("127.0.0.9");
      const form = await attacker.get(t.main("/sign-in"));
      const attempts = [];
      for (let i = 0; i < 8; i++) {
        attempts.push((await attacker.postForm(t.main("/sign-in"), { _csrf: csrfFrom(form.body), email, password: `guess ${i}` })).status);
      }
      assert.deepEqual(attempts, [401, 401, 401, 401, 401, 429, 429, 429], "the attacker is throttled");
      const owner = t.client("127.0.0.1");
      const fallback = await signInWithPasswordForm(owner, t.main("/sign-in"), email);
      assert.equal(fallback.status, 303);
      assert.equal(fallback.location, "/account");
    });

    test("when not enforced, both SSO and password work on the clinic page", async () => {
      const s = await samlClinic(5, {});
      const client = t.client();
      const page = await client.get(t.clinicUrl(s.clinic.subdomain, "/sign-in"));
      assert.match(page.body, /Sign in with SSO/);
      assert.match(page.body, /type="password"/);
      const res = await signInWithPasswordForm(client, t.clinicUrl(s.clinic.subdomain, "/sign-in"), `admin@${s.clinic.subdomain}.example`);
      assert.equal(res.location, "/dashboard");
    });

    test("the SSO settings page shows every value of the help article to admins, and says why enforcement waits", async () => {
      const s = await samlClinic(5, {});
      const client = t.client();
      await signInWithPasswordForm(client, t.clinicUrl(s.clinic.subdomain, "/sign-in"), `admin@${s.clinic.subdomain}.example`);
      const page = await client.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.equal(page.status, 200);
      for (const text of [
        s.sp.acsUrl,
        s.sp.entityId,
        t.clinicUrl(s.clinic.subdomain, "/dashboard"),
        "EmailAddress",
        "Single sign on URL",
        "Audience URI (SP Entity ID)",
        "Default RelayState",
        "Reply URL",
        "rsa-sha256",
        "Available after the first successful single sign-on",
        "a response nobody asked for cannot be tied to the browser it arrives in",
      ]) {
        assert.ok(page.body.includes(text), text);
      }
      const toggle = await client.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/flags"), {
        _csrf: csrfFrom(page.body),
        flag: "jitProvisioning",
        value: "on",
      });
      assert.equal(toggle.status, 303);
      const api = (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`), t.operator)).json();
      assert.equal(api.jitProvisioning, true);
    });

    test("a provider cannot open the SSO settings page", async () => {
      const s = await samlClinic(5, {});
      await givenMember(t, s.clinic, { email: `prov@${s.clinic.subdomain}.example` });
      const client = t.client();
      await signInWithPasswordForm(client, t.clinicUrl(s.clinic.subdomain, "/sign-in"), `prov@${s.clinic.subdomain}.example`);
      const page = await client.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.equal(page.status, 403);
    });
  });
}
