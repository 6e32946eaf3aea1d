import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Clinic } from "../src/clinics/clinic.js";
import { ConfigError, loadConfig } from "../src/config.js";
import { findSamlConnection } from "../src/sso/saml/connection.queries.js";
import { MAX_UNVERIFIED_ADDRESS_ROWS } from "../src/sso/saml/sso-events.js";
import { testDialects } from "./support/databases.js";
import { csrfFrom, type HttpClient } from "./support/http-client.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, postToAcs, type SamlClinic, signInThroughIdp, idpResponse } from "./support/saml-flow.js";
import { createTestIdp, type TestIdp } from "./support/test-idp.js";

const STATUS = "urn:oasis:names:tc:SAML:2.0:status:";
const LURE = "Your account is locked. Call +1 555 0100 now";

/** An unsigned error Response as anyone can post it: a status chosen by the sender and a StatusMessage of their words. */
async function unsignedErrorResponse(s: SamlClinic, message = LURE): Promise<string> {
  const built = await idpResponse(s, { email: "nobody@example.org", signing: "none", status: `${STATUS}Responder` });
  const xml = Buffer.from(built, "base64")
    .toString("utf8")
    .replace(
      `<samlp:StatusCode Value="${STATUS}Responder"/>`,
      `<samlp:StatusCode Value="${STATUS}Responder"><samlp:StatusCode Value="${STATUS}AuthnFailed"/></samlp:StatusCode><samlp:StatusMessage>${message}</samlp:StatusMessage>`,
    );
  assert.ok(xml.includes("StatusMessage"), "the fixture carries a StatusMessage");
  return Buffer.from(xml, "utf8").toString("base64");
}

async function events(t: TestApp, clinic: Clinic, limit = 50) {
  const res = await t.client().get(t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml/events?limit=${limit}`), t.operator);
  assert.equal(res.status, 200);
  return res.json().events as Array<{
    code: string;
    reason: string;
    ip: string | null;
    count: number;
    signatureVerified: boolean;
    email: string | null;
  }>;
}

async function adminClient(t: TestApp, clinic: Clinic): Promise<HttpClient> {
  const client = t.client();
  const res = await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), `admin@${clinic.subdomain}.example`);
  assert.equal(res.status, 303);
  return client;
}

for (const dialect of testDialects()) {
  describe(`SSO event log: unverified posts (${dialect})`, () => {
    let t: TestApp;
    let proxied: TestApp;
    before(async () => {
      t = await startTestApp(dialect);
      // Behind one reverse proxy, as in production: the proxy's X-Forwarded-For names the client.
      proxied = await startTestApp(dialect, { env: { TRUST_PROXY: "1" } });
    });
    after(async () => {
      await t.close();
      await proxied.close();
    });

    async function samlClinic(app: TestApp): Promise<SamlClinic> {
      const clinic = await givenClinic(app, 5, "Harbor Clinic");
      await givenMember(app, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      return connectTestIdp(app, clinic);
    }

    test("an unsigned message's StatusMessage is never shown: only the standard status codes it claimed", async () => {
      const s = await samlClinic(t);
      const res = await postToAcs(t, t.client(), s.clinic.subdomain, await unsignedErrorResponse(s));
      assert.equal(res.status, 403);
      const [event] = await events(t, s.clinic);
      assert.equal(event!.code, "status_not_success");
      assert.equal(event!.signatureVerified, false);
      assert.match(event!.reason, /An unsigned message claimed status Responder \/ AuthnFailed/);
      assert.doesNotMatch(event!.reason, /locked|555/);
      const page = await (await adminClient(t, s.clinic)).get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.match(page.body, /1 message whose signature did not verify, from 127\.0\.0\.1/);
      assert.doesNotMatch(page.body, /locked|555 0100/);
    });

    test("a status code outside the SAML standard is not repeated either", async () => {
      const s = await samlClinic(t);
      const built = Buffer.from(await unsignedErrorResponse(s), "base64").toString("utf8");
      const forged = built.replace(`${STATUS}AuthnFailed`, "Call-555-0100");
      await postToAcs(t, t.client(), s.clinic.subdomain, Buffer.from(forged).toString("base64"));
      const [event] = await events(t, s.clinic);
      assert.match(event!.reason, /claimed status Responder \/ \(an unknown status code\)/);
      assert.doesNotMatch(event!.reason, /555/);
    });

    test("40 unsigned posts from one address are one row with a count; the real failure stays in view", async () => {
      const s = await samlClinic(t);
      // A real failure first: the IdP signed an assertion for a person the clinic has not added.
      const real = await idpResponse(s, { email: "stranger@example.org" });
      assert.equal((await postToAcs(t, t.client(), s.clinic.subdomain, real)).status, 403);
      const flood = await unsignedErrorResponse(s);
      for (let i = 0; i < 40; i += 1) await postToAcs(t, t.client(), s.clinic.subdomain, flood);
      const log = await events(t, s.clinic);
      assert.equal(log.length, 2);
      assert.deepEqual(
        log.map((e) => [e.code, e.signatureVerified, e.count, e.ip]),
        [
          ["status_not_success", false, 40, "127.0.0.1"],
          ["not_provisioned", true, 1, "127.0.0.1"],
        ],
      );
      const page = await (await adminClient(t, s.clinic)).get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.match(page.body, /40 messages whose signature did not verify, from 127\.0\.0\.1 between/);
      assert.match(page.body, /Your clinic has not added you yet/);
      assert.match(page.body, /stranger@example\.org/);
    });

    test("unsigned posts from many addresses: a few rows of their own, the rest share one", async () => {
      const s = await samlClinic(proxied);
      const flood = await unsignedErrorResponse(s);
      const addresses = Array.from({ length: MAX_UNVERIFIED_ADDRESS_ROWS + 3 }, (_, i) => `203.0.113.${i + 1}`);
      for (const address of addresses) {
        for (let i = 0; i < 2; i += 1) {
          await proxied
            .client()
            .postForm(proxied.clinicUrl(s.clinic.subdomain, "/saml/acs"), { SAMLResponse: flood }, { "x-forwarded-for": address });
        }
      }
      const log = await events(proxied, s.clinic);
      assert.equal(log.length, MAX_UNVERIFIED_ADDRESS_ROWS + 1);
      const own = log.filter((e) => e.ip !== null);
      assert.deepEqual(own.map((e) => e.ip).sort(), addresses.slice(0, MAX_UNVERIFIED_ADDRESS_ROWS).sort());
      assert.ok(own.every((e) => e.count === 2));
      assert.deepEqual(
        log.filter((e) => e.ip === null).map((e) => e.count),
        [6],
      );
      const page = await (await adminClient(proxied, s.clinic)).get(proxied.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.match(page.body, /6 messages whose signature did not verify, from other addresses/);
    });

    test("events older than SSO_EVENT_RETENTION_DAYS are deleted by the periodic clean-up", async () => {
      const s = await samlClinic(t);
      const real = await idpResponse(s, { email: "old@example.org" });
      await postToAcs(t, t.client(), s.clinic.subdomain, real);
      t.advanceClock(91 * 24 * 3_600_000);
      try {
        await postToAcs(t, t.client(), s.clinic.subdomain, await unsignedErrorResponse(s));
        await t.app.pruneSignInRecords();
        assert.deepEqual(
          (await events(t, s.clinic)).map((e) => e.code),
          ["status_not_success"],
        );
      } finally {
        t.advanceClock(-91 * 24 * 3_600_000);
      }
    });
  });

  describe(`SSO enforcement needs a success with the connection as it is now (${dialect})`, () => {
    let t: TestApp;
    let otherIdp: TestIdp;
    before(async () => {
      t = await startTestApp(dialect);
      otherIdp = await createTestIdp({ entityId: "https://new-idp.test/metadata" });
    });
    after(() => t.close());

    const api = (s: SamlClinic) => t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`);
    const put = (s: SamlClinic, idp: TestIdp, extra: Record<string, unknown>) =>
      t
        .client()
        .postJson(
          api(s),
          { idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCertificates: [idp.certificatePem], ...extra },
          t.operator,
          "PUT",
        );

    async function workingClinic(): Promise<SamlClinic> {
      const clinic = await givenClinic(t, 5, "Lakeside Care");
      await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      const s = await connectTestIdp(t, clinic);
      assert.equal((await ssoSignIn(s, s.idp)).status, 303);
      return s;
    }

    async function ssoSignIn(s: SamlClinic, idp: TestIdp) {
      // Signed by the IdP given: the clinic's own, or an impostor with other keys.
      return signInThroughIdp(t, t.client(), { ...s, idp }, { email: `admin@${s.clinic.subdomain}.example` });
    }

    test("PUT of a never-used IdP with enforceSso: true is refused; the old IdP's success does not carry over", async () => {
      const s = await workingClinic();
      const refused = await put(s, otherIdp, { enforceSso: true });
      assert.equal(refused.status, 409);
      assert.equal(refused.json().error, "enforce_before_first_sign_in");
      assert.match(refused.json().message, /a new Issuer, SSO URL or certificate has not proved itself yet/);
      // Nothing was saved by the refused call.
      assert.equal((await t.client().get(api(s), t.operator)).json().idp.entityId, s.idp.entityId);

      const saved = await put(s, otherIdp, {});
      assert.equal(saved.status, 200);
      assert.equal(saved.json().lastSuccessfulSignInAt, null, "a new IdP has not worked yet");
      assert.equal((await t.client().postJson(api(s), { enforceSso: true }, t.operator, "PATCH")).status, 409);

      // The settings page says the same and refuses the switch.
      const admin = t.client();
      await signInWithPasswordForm(admin, t.clinicUrl(s.clinic.subdomain, "/sign-in"), `admin@${s.clinic.subdomain}.example`);
      const page = await admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.match(page.body, /Available after the first successful single sign-on/);
      const flip = await admin.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/flags"), {
        _csrf: csrfFrom(page.body),
        flag: "enforceSso",
        value: "on",
      });
      assert.equal(flip.status, 409);
      assert.match(flip.body, /can be required only after the first successful single sign-on/);

      // One success with the new IdP, and enforcement is allowed.
      assert.equal((await ssoSignIn(s, otherIdp)).status, 303);
      assert.equal((await t.client().postJson(api(s), { enforceSso: true }, t.operator, "PATCH")).status, 200);
    });

    test("a replaced certificate or SSO URL resets it too; adding a rollover certificate does not", async () => {
      const s = await workingClinic();
      const base = { idpEntityId: s.idp.entityId, idpSsoUrl: s.idp.ssoUrl };
      const rollover = await t
        .client()
        .postJson(
          api(s),
          { ...base, idpCertificates: [s.idp.certificatePem, otherIdp.certificatePem], enforceSso: true },
          t.operator,
          "PUT",
        );
      assert.equal(rollover.status, 200, "every response that verified before still verifies");
      assert.notEqual(rollover.json().lastSuccessfulSignInAt, null);

      const replaced = await t.client().postJson(api(s), { ...base, idpCertificates: [otherIdp.certificatePem] }, t.operator, "PUT");
      assert.equal(replaced.status, 409, "enforcement kept through a reconfiguration is judged like enforcement asked for");
      const off = await t
        .client()
        .postJson(api(s), { ...base, idpCertificates: [otherIdp.certificatePem], enforceSso: false }, t.operator, "PUT");
      assert.equal(off.status, 200);
      assert.equal(off.json().lastSuccessfulSignInAt, null);

      const s2 = await workingClinic();
      const moved = await put(s2, s2.idp, { idpSsoUrl: "https://idp.test/elsewhere/sso", enforceSso: true });
      assert.equal(moved.status, 409);
    });
  });

  describe(`SSO settings notices (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    test("a crafted ?changed=…&value=… announces nothing; a real switch shows its notice once", async () => {
      const clinic = await givenClinic(t, 5, "Lakeside Care");
      await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      await connectTestIdp(t, clinic);
      const admin = await adminClient(t, clinic);
      const settings = t.clinicUrl(clinic.subdomain, "/settings/sso");
      for (const query of ["?changed=enforceSso&value=off", "?changed=jitProvisioning&value=on"]) {
        assert.doesNotMatch((await admin.get(`${settings}${query}`)).body, /is now (on|off)/, query);
      }
      const page = await admin.get(settings);
      const flip = await admin.postForm(`${settings}/flags`, { _csrf: csrfFrom(page.body), flag: "jitProvisioning", value: "on" });
      assert.equal(flip.status, 303);
      assert.equal(flip.location, "/settings/sso");
      assert.match((await admin.get(settings)).body, /Just-in-time provisioning is now on\./);
      assert.doesNotMatch((await admin.get(settings)).body, /is now on/, "not after a refresh");
    });

    test("the switches form changes only its three switches, to on or off: anything else is refused and changes nothing", async () => {
      const clinic = await givenClinic(t, 5, "Lakeside Care");
      await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      await connectTestIdp(t, clinic);
      const before = await findSamlConnection(t.db, clinic.id);
      const admin = await adminClient(t, clinic);
      const settings = t.clinicUrl(clinic.subdomain, "/settings/sso");
      // Turning the connection on or off is not one of this form's switches.
      for (const [flag, value] of [
        ["enabled", "off"],
        ["jitProvisioning", "yes"],
        ["jitProvisioning", ""],
      ]) {
        const page = await admin.get(settings);
        const refused = await admin.postForm(`${settings}/flags`, { _csrf: csrfFrom(page.body), flag: flag!, value: value! });
        assert.equal(refused.status, 400, `${flag}=${value}`);
        assert.match(refused.body, /That setting does not exist\./);
      }
      assert.deepEqual(await findSamlConnection(t.db, clinic.id), before);
    });
  });
}

test("SSO_EVENT_RETENTION_DAYS is a whole number of days between 1 and 3650, 90 by default", () => {
  assert.equal(loadConfig({}).ssoEventRetentionDays, 90);
  assert.equal(loadConfig({ SSO_EVENT_RETENTION_DAYS: "30" }).ssoEventRetentionDays, 30);
  for (const bad of ["0", "-1", "1.5", "ninety", "3651"]) {
    assert.throws(() => loadConfig({ SSO_EVENT_RETENTION_DAYS: bad }), ConfigError, bad);
  }
});
