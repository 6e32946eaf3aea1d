import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { csrfFrom } from "./support/http-client.js";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, latestSsoEvent, type SamlClinic, signInThroughIdp } from "./support/saml-flow.js";

for (const dialect of testDialects()) {
  describe(`email-domain lock (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    async function samlClinic(flags: Record<string, unknown> = { jitProvisioning: true }): Promise<SamlClinic & { domain: string }> {
      const clinic = await givenClinic(t, 10, "Lakeside Care");
      await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      return { ...(await connectTestIdp(t, clinic, flags)), domain: `${clinic.subdomain}.example` };
    }

    async function lock(subdomain: string, domains: string[], reassign?: boolean) {
      const body = reassign === undefined ? { domains } : { domains, reassign };
      return t.client().postJson(t.main(`/api/v1/clinics/${subdomain}/email-domains`), body, t.operator, "PUT");
    }

    async function ssoSignIn(s: SamlClinic, email: string) {
      const client = t.client();
      return { client, res: await signInThroughIdp(t, client, s, { email }) };
    }

    async function userExists(email: string) {
      return (await t.db.selectFrom("users").select("id").where("email", "=", email).executeTakeFirst()) !== undefined;
    }

    test("the operator locks domains, normalised (NFKC, lower-case) and validated, and reads them back", async () => {
      const s = await samlClinic();
      const saved = await lock(s.clinic.subdomain, [`@${s.domain.toUpperCase()}.`, "ｌａｋｅｓｉｄｅ-care.example"]);
      assert.equal(saved.status, 200);
      assert.deepEqual(saved.json().domains, [s.domain, "lakeside-care.example"].sort());
      const junk = await lock(s.clinic.subdomain, ["com"]);
      assert.equal(junk.status, 400);
      assert.match(junk.json().message, /“com” must be a whole domain such as clinic.org, not a top-level domain/);
      assert.equal((await lock(s.clinic.subdomain, ["gmail.com"])).status, 400);
      const read = await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}/email-domains`), t.operator);
      assert.deepEqual(read.json().domains, [s.domain, "lakeside-care.example"].sort(), "a refused list changes nothing");
    });

    test("an assertion for an address outside the clinic's domains is refused with its own code, and JIT creates no one", async () => {
      const s = await samlClinic();
      await lock(s.clinic.subdomain, [s.domain]);
      const { res } = await ssoSignIn(s, "stranger@elsewhere.example");
      assert.equal(res.status, 403);
      assert.match(res.body, /Your email address is not one of your clinic&#39;s|Your email address is not one of your clinic's/);
      const event = await latestSsoEvent(t, s.clinic.subdomain);
      assert.equal(event.code, "email_domain_not_allowed");
      assert.match(event.reason, /outside .* email domains/);
      assert.equal(await userExists("stranger@elsewhere.example"), false, "JIT never creates people outside the domains");
      // Inside the domain, JIT still works.
      const inside = await ssoSignIn(s, `new.person@${s.domain}`);
      assert.equal(inside.res.status, 303);
      assert.equal(await userExists(`new.person@${s.domain}`), true);
    });

    test("an existing member outside the locked domains is refused too", async () => {
      const s = await samlClinic({});
      await givenMember(t, s.clinic, { email: "old.address@elsewhere.example", name: "Olga Old" });
      assert.equal((await ssoSignIn(s, "old.address@elsewhere.example")).res.status, 303, "accepted before the lock");
      await lock(s.clinic.subdomain, [s.domain]);
      assert.equal((await ssoSignIn(s, "old.address@elsewhere.example")).res.status, 403);
      assert.equal((await latestSsoEvent(t, s.clinic.subdomain)).code, "email_domain_not_allowed");
    });

    test("a domain is locked by one clinic only: the second is refused, and its IdP cannot create people there either", async () => {
      const first = await samlClinic();
      const second = await samlClinic();
      assert.equal((await lock(first.clinic.subdomain, ["shared-group.example"])).status, 200);
      const taken = await lock(second.clinic.subdomain, ["shared-group.example"]);
      assert.equal(taken.status, 409);
      assert.match(taken.json().message, /shared-group.example is locked by Lakeside Care\. Send "reassign": true/);
      // The second clinic has no lock of its own, but the domain is the first clinic's: its JIT may not take it.
      const { res } = await ssoSignIn(second, "someone@shared-group.example");
      assert.equal(res.status, 403);
      assert.equal((await latestSsoEvent(t, second.clinic.subdomain)).code, "email_domain_of_other_clinic");
      assert.equal(await userExists("someone@shared-group.example"), false);
    });

    test("the operator reassigns a domain: it moves, both clinics' audit logs say so", async () => {
      const first = await samlClinic();
      const second = await samlClinic();
      await lock(first.clinic.subdomain, ["moving.example", first.domain]);
      const moved = await lock(second.clinic.subdomain, ["moving.example"], true);
      assert.equal(moved.status, 200);
      assert.deepEqual(
        (await t.client().get(t.main(`/api/v1/clinics/${first.clinic.subdomain}/email-domains`), t.operator)).json().domains,
        [first.domain],
      );
      const away = await t.db
        .selectFrom("audit_events")
        .selectAll()
        .where("clinic_id", "=", first.clinic.id)
        .where("action", "=", "email_domains.reassigned_away")
        .execute();
      assert.equal(away.length, 1);
      assert.equal((await ssoSignIn(second, "p@moving.example")).res.status, 303, "the new owner's JIT may create people there now");
    });

    test("a clinic admin sets the domains on /settings/sso; a domain another clinic holds is refused without naming it", async () => {
      const other = await samlClinic();
      await lock(other.clinic.subdomain, ["held.example"]);
      const s = await samlClinic();
      const admin = t.client();
      await signInWithPasswordForm(admin, t.clinicUrl(s.clinic.subdomain, "/sign-in"), `admin@${s.domain}`);
      const settings = await admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.match(settings.body, /Any domain: single sign-on accepts every email address your IdP sends/);
      const form = await admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso/email-domains"));
      const refused = await admin.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/email-domains"), {
        _csrf: csrfFrom(form.body),
        domains: `${s.domain}\nheld.example`,
      });
      assert.equal(refused.status, 409);
      assert.match(refused.body, /held.example is already locked by another organisation on this service/);
      assert.doesNotMatch(refused.body, /Lakeside Care<\/h1>|locked by Lakeside/);
      const saved = await admin.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/email-domains"), {
        _csrf: csrfFrom(form.body),
        domains: `${s.domain.toUpperCase()}`,
      });
      assert.equal(saved.location, "/settings/sso");
      assert.ok((await admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"))).body.includes(`@${s.domain}`));
    });

    test("a main-site password user whose email is in a locked domain is pointed to the clinic's SSO", async () => {
      const s = await samlClinic();
      const main = t.client();
      await signInWithPasswordForm(main, t.main("/sign-in"), `admin@${s.domain}`);
      assert.doesNotMatch((await main.get(t.main("/account"))).body, /signs in addresses at/);
      await lock(s.clinic.subdomain, [s.domain]);
      const account = await main.get(t.main("/account"));
      assert.ok(account.body.includes(`Lakeside Care signs in addresses at @${s.domain} with single sign-on.`));
      assert.ok(account.body.includes(`href="${t.clinicUrl(s.clinic.subdomain, "/sign-in")}"`));
    });
  });
}
