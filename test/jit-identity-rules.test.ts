import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, latestSsoEvent, type SamlClinic, signInThroughIdp } from "./support/saml-flow.js";

for (const dialect of testDialects()) {
  describe(`emails and names from the IdP follow the same rule as the operator API (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    async function jitClinic(): Promise<SamlClinic> {
      const clinic = await givenClinic(t, 10, "Lakeside Care");
      await givenMember(t, clinic, { email: `alice@${clinic.subdomain}.example`, name: "Alice Admin", role: "admin" });
      return connectTestIdp(t, clinic, { jitProvisioning: true });
    }

    async function ssoSignIn(s: SamlClinic, nameId: string, attributes: Record<string, string> = {}) {
      const client = t.client();
      const res = await signInThroughIdp(t, client, s, { email: nameId, attributes });
      const session = await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"));
      return { res, session };
    }

    async function accountCount(s: SamlClinic): Promise<number> {
      return (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}/users`), t.operator)).json().users.length;
    }

    for (const [label, local, named] of [
      ["markup", "<b>x</b>", /must be an email address/],
      ["a zero-width space", "ali\u200bce", /U\+200B/],
      ["a right-to-left override", "ecila\u202e", /U\+202E/],
      ["full-width letters before the @", "ａｌｉｃｅ", /plain ASCII part before the @/],
    ] as const) {
      test(`a signed NameID with ${label} is refused with email_not_accepted, and no account is made or matched`, async () => {
        const s = await jitClinic();
        const before = await accountCount(s);
        const { res, session } = await ssoSignIn(s, `${local}@${s.clinic.subdomain}.example`);
        assert.equal(res.status, 403);
        assert.match(res.body, /Your email address cannot be used here/);
        assert.equal(session.status, 401);
        assert.equal(await accountCount(s), before);
        const event = await latestSsoEvent(t, s.clinic.subdomain);
        assert.equal(event.code, "email_not_accepted");
        assert.equal(event.email, null, "an address the rule refuses is not stored as the event's email");
        assert.match(event.reason, named);
        assert.doesNotMatch(event.reason, /[\u200b\u202e<]/, "the reason spells invisible characters and markup out");
      });
    }

    test("an email attribute is held to the same rule when the NameID is not an address", async () => {
      const s = await jitClinic();
      const { res } = await ssoSignIn(s, "00u1abcd", { email: `bob\u2066@${s.clinic.subdomain}.example` });
      assert.equal(res.status, 403);
      assert.equal((await latestSsoEvent(t, s.clinic.subdomain)).code, "email_not_accepted");
    });

    test("a full-width domain is the domain it spells: the existing member signs in", async () => {
      const s = await jitClinic();
      const wide = s.clinic.subdomain.replace(/[a-z0-9-]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0));
      const { res, session } = await ssoSignIn(s, `alice@${wide}.example`);
      assert.equal(res.status, 303);
      assert.equal(session.json().email, `alice@${s.clinic.subdomain}.example`);
    });

    test("JIT refuses a name with a text-direction override, with name_not_accepted", async () => {
      const s = await jitClinic();
      const email = `mallory@${s.clinic.subdomain}.example`;
      const { res } = await ssoSignIn(s, email, { email, firstName: "Mallory\u202e", lastName: "nimdA" });
      assert.equal(res.status, 403);
      assert.match(res.body, /Your name cannot be used here/);
      const event = await latestSsoEvent(t, s.clinic.subdomain);
      assert.equal(event.code, "name_not_accepted");
      assert.match(event.reason, /U\+202E/);
      assert.equal(event.email, email);
      const users = (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}/users`), t.operator)).json().users;
      assert.ok(!users.some((u: { email: string }) => u.email === email));
    });

    test("JIT stores a full-width name in its NFKC form", async () => {
      const s = await jitClinic();
      const email = `nora@${s.clinic.subdomain}.example`;
      const { res, session } = await ssoSignIn(s, email, { email, firstName: "Ｎｏｒａ", lastName: "Newman" });
      assert.equal(res.status, 303);
      assert.equal(session.json().name, "Nora Newman");
    });

    test("the operator API refuses the same names and emails, in the same words", async () => {
      const clinic = await givenClinic(t);
      const add = (body: Record<string, unknown>) =>
        t.client().postJson(t.main(`/api/v1/clinics/${clinic.subdomain}/users`), { role: "provider", ...body }, t.operator);
      const name = await add({ email: `ok@${clinic.subdomain}.example`, name: "Mallory\u202e" });
      assert.equal(name.status, 400);
      assert.match(name.json().fields.name, /U\+202E/);
      const email = await add({ email: `ｏｋ@${clinic.subdomain}.example`, name: "Ok" });
      assert.equal(email.status, 400);
      assert.match(email.json().fields.email, /plain ASCII part before the @/);
      const wide = await add({ email: `ok@ＥＸＡＭＰＬＥ.org`, name: "Ｏｋ" });
      assert.equal(wide.status, 201);
      assert.deepEqual([wide.json().email, wide.json().name], ["ok@example.org", "Ok"]);
    });
  });
}
