import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { inflateRawSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { createTestIdp, type TestIdp } from "./support/test-idp.js";
import { connectTestIdp, latestSsoEvent, postToAcs, startLogin, type SamlClinic, idpResponse } from "./support/saml-flow.js";
import { samlAttacks } from "./support/saml-attacks.js";

for (const dialect of testDialects()) {
  describe(`SAML sign-in over HTTP (${dialect})`, () => {
    let t: TestApp;
    let attackerIdp: TestIdp;
    before(async () => {
      t = await startTestApp(dialect);
      attackerIdp = await createTestIdp({ entityId: "https://attacker.test/idp" });
    });
    after(() => t.close());

    async function givenSamlClinic(flags: Record<string, unknown> = {}): Promise<SamlClinic & { email: string }> {
      const clinic = await givenClinic(t, 5, "Harbor Clinic");
      const email = `nurse@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Nia Nurse" });
      return { ...(await connectTestIdp(t, clinic, flags)), email };
    }

    for (const signing of ["both", "assertion", "response"] as const) {
      test(`SP-initiated sign-in with a ${signing === "both" ? "response and assertion" : `${signing}-only`} signature opens a SAML session`, async () => {
        const s = await givenSamlClinic();
        const client = t.client();
        const { requestId, location, authnRequest } = await startLogin(t, client, s.clinic, "/dashboard?tab=room");
        assert.ok(location.startsWith(s.idp.ssoUrl));
        assert.match(authnRequest, /Format="urn:oasis:names:tc:SAML:1\.1:nameid-format:emailAddress"/);
        const response = await idpResponse(s, { email: s.email.toUpperCase(), inResponseTo: requestId, signing });
        const acs = await postToAcs(t, client, s.clinic.subdomain, response);
        assert.equal(acs.status, 303);
        assert.equal(acs.location, "/dashboard?tab=room");
        const session = await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"));
        assert.equal(session.status, 200);
        assert.equal(session.json().email, s.email);
        assert.equal(session.json().authMethod, "saml");
        assert.equal((await latestSsoEvent(t, s.clinic.subdomain)).outcome, "success");
      });
    }

    test("an IdP that takes the HTTP-POST binding gets the AuthnRequest in a self-submitting form", async () => {
      const s = await givenSamlClinic({ idpSsoBinding: "post" });
      const client = t.client();
      const page = await client.get(t.clinicUrl(s.clinic.subdomain, "/saml/login"));
      assert.equal(page.status, 200);
      assert.ok(page.body.includes(`action="${s.idp.ssoUrl}"`));
      const request = Buffer.from(/name="SAMLRequest" value="([^"]+)"/.exec(page.body)![1]!, "base64").toString("utf8");
      const requestId = /ID="([^"]+)"/.exec(request)![1]!;
      const response = await idpResponse(s, { email: s.email, inResponseTo: requestId });
      assert.equal((await postToAcs(t, client, s.clinic.subdomain, response)).status, 303);
    });

    test("the HTTP-Redirect binding keeps the query the IdP's SSO URL has, beside SAMLRequest and RelayState", async () => {
      const clinic = await givenClinic(t, 5, "Harbor Clinic");
      const email = `nurse@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Nia Nurse" });
      // Some IdPs name the application or the directory in their SSO URL's query; it must reach them.
      const ssoUrl = `https://idp.test/${clinic.subdomain}/sso?connection=harbor-ad`;
      const s = await connectTestIdp(t, clinic, { idpSsoUrl: ssoUrl });
      const client = t.client();
      const { requestId, relayState, authnRequest, location } = await startLogin(t, client, clinic, "/settings");
      const url = new URL(location);
      assert.equal(`${url.origin}${url.pathname}`, `https://idp.test/${clinic.subdomain}/sso`);
      assert.deepEqual([...url.searchParams.keys()], ["connection", "SAMLRequest", "RelayState"]);
      assert.equal(url.searchParams.get("connection"), "harbor-ad");
      assert.equal(relayState, "/settings");
      assert.ok(authnRequest.includes(`Destination="${ssoUrl}"`), "the request names the URL it is sent to");
      const response = await idpResponse(s, { email, inResponseTo: requestId });
      const answered = await postToAcs(t, client, clinic.subdomain, response);
      assert.deepEqual([answered.status, answered.location], [303, "/settings"]);
    });

    test("a SAML sign-in ends the session the browser had before (session fixation)", async () => {
      const s = await givenSamlClinic();
      const host = new URL(t.clinicUrl(s.clinic.subdomain)).hostname;
      const client = t.client();
      assert.equal((await signInWithPasswordForm(client, t.clinicUrl(s.clinic.subdomain, "/sign-in"), s.email)).status, 303);
      const before = client.cookie(host, "session")!;
      const { requestId } = await startLogin(t, client, s.clinic);
      const response = await idpResponse(s, { email: s.email, inResponseTo: requestId });
      assert.equal((await postToAcs(t, client, s.clinic.subdomain, response)).status, 303);
      assert.notEqual(client.cookie(host, "session"), before, "a new token replaces the old one");
      assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json().authMethod, "saml");
      const holderOfOldToken = t.client();
      holderOfOldToken.setCookie(host, "session", before);
      assert.equal((await holderOfOldToken.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).status, 401, "the old session is gone");
    });

    test("IdP-initiated sign-in lands on the Default RelayState (the dashboard)", async () => {
      const s = await givenSamlClinic();
      const client = t.client();
      const response = await idpResponse(s, { email: s.email });
      const acs = await postToAcs(t, client, s.clinic.subdomain, response, t.clinicUrl(s.clinic.subdomain, "/dashboard"));
      assert.equal(acs.location, "/dashboard");
      assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json().authMethod, "saml");
    });

    test("rejects an unsolicited response when IdP-initiated sign-in is off", async () => {
      const s = await givenSamlClinic({ allowIdpInitiated: false });
      const client = t.client();
      const response = await idpResponse(s, { email: s.email });
      const acs = await postToAcs(t, client, s.clinic.subdomain, response);
      assert.equal(acs.status, 403);
      assert.match(acs.body, /only allows signing in from its own sign-in page/);
      assert.equal((await latestSsoEvent(t, s.clinic.subdomain)).code, "unsolicited_not_allowed");
      assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).status, 401);
    });

    for (const relayState of ["https://evil.example/phish", "//evil.example/", "javascript:alert(1)", "/\\evil.example"]) {
      test(`never follows a malicious RelayState (${relayState})`, async () => {
        const s = await givenSamlClinic();
        const response = await idpResponse(s, { email: s.email });
        const acs = await postToAcs(t, t.client(), s.clinic.subdomain, response, relayState);
        assert.equal(acs.status, 303);
        assert.equal(acs.location, "/dashboard");
      });
    }

    test("an AuthnRequest can be answered once (replayed response refused)", async () => {
      const s = await givenSamlClinic();
      const client = t.client();
      const { requestId } = await startLogin(t, client, s.clinic);
      const response = await idpResponse(s, { email: s.email, inResponseTo: requestId });
      assert.equal((await postToAcs(t, client, s.clinic.subdomain, response)).status, 303);
      // Replayed by the very browser that started it (it holds the binding cookie): only answer-once stops it.
      const replay = await postToAcs(t, client, s.clinic.subdomain, response);
      assert.equal(replay.status, 403);
      assert.match((await latestSsoEvent(t, s.clinic.subdomain)).code, /request_already_used|assertion_replayed/);
      // A second, freshly signed answer (new assertion ID) to the same request: the request store alone refuses it.
      const second = await idpResponse(s, { email: s.email, inResponseTo: requestId });
      assert.equal((await postToAcs(t, client, s.clinic.subdomain, second)).status, 403);
      assert.equal((await latestSsoEvent(t, s.clinic.subdomain)).code, "request_already_used");
    });

    test("the AuthnRequest is bound to the starting browser by a short-lived, host-only, SameSite=None; Secure cookie", async () => {
      const s = await givenSamlClinic();
      const client = t.client();
      const res = await client.get(t.clinicUrl(s.clinic.subdomain, "/saml/login"));
      const line = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("sso-binding="));
      assert.ok(line, "the login start sets the binding cookie");
      assert.match(line, /; Max-Age=600; Path=\/; HttpOnly; Secure; SameSite=None$/);
      assert.doesNotMatch(line, /Domain=/i);
      const value = client.cookie(new URL(t.clinicUrl(s.clinic.subdomain)).hostname, "sso-binding")!;
      const requestId = /ID="([^"]+)"/.exec(
        inflateRawSync(Buffer.from(new URL(res.location!).searchParams.get("SAMLRequest")!, "base64")).toString(),
      )![1]!;
      const row = await t.db
        .selectFrom("saml_requests")
        .select("browser_binding_hash")
        .where("id", "=", requestId)
        .executeTakeFirstOrThrow();
      assert.equal(row.browser_binding_hash, createHash("sha256").update(value).digest("hex"), "only the hash is stored");
    });

    test("a response to browser A's request posted from browser B is refused (login CSRF); A can still use it", async () => {
      const s = await givenSamlClinic();
      const a = t.client();
      const { requestId } = await startLogin(t, a, s.clinic);
      const response = await idpResponse(s, { email: s.email, inResponseTo: requestId });
      const b = t.client("127.0.0.2");
      const posted = await b.postForm(
        t.clinicUrl(s.clinic.subdomain, "/saml/acs"),
        { SAMLResponse: response },
        { origin: "https://attacker.example" },
      );
      assert.equal(posted.status, 403);
      assert.match(posted.body, /This sign-in was started in a different browser/);
      const event = await latestSsoEvent(t, s.clinic.subdomain);
      assert.deepEqual([event.code, event.outcome], ["request_from_other_browser", "failure"]);
      assert.match(event.reason, /without the cookie of the browser that started this sign-in/);
      assert.equal((await b.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).status, 401, "browser B gets no session");
      // The refusal used nothing up: a forged post cannot spoil the real browser's sign-in.
      assert.equal((await postToAcs(t, a, s.clinic.subdomain, response)).status, 303);
      assert.equal((await a.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json().email, s.email);
    });

    test("a browser holding its own, different binding cannot answer another browser's request", async () => {
      const s = await givenSamlClinic();
      const { requestId } = await startLogin(t, t.client(), s.clinic);
      const b = t.client();
      await startLogin(t, b, s.clinic);
      const response = await idpResponse(s, { email: s.email, inResponseTo: requestId });
      assert.equal((await postToAcs(t, b, s.clinic.subdomain, response)).status, 403);
      const event = await latestSsoEvent(t, s.clinic.subdomain);
      assert.equal(event.code, "request_from_other_browser");
      assert.match(event.reason, /does not match/);
      assert.equal((await b.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).status, 401);
    });

    test("sign-ins started in two tabs of one browser both stay answerable", async () => {
      const s = await givenSamlClinic();
      const client = t.client();
      const first = await startLogin(t, client, s.clinic, "/dashboard?tab=1");
      await startLogin(t, client, s.clinic, "/dashboard?tab=2");
      const response = await idpResponse(s, { email: s.email, inResponseTo: first.requestId });
      const acs = await postToAcs(t, client, s.clinic.subdomain, response);
      assert.equal(acs.status, 303);
      assert.equal(acs.location, "/dashboard?tab=1");
    });

    test("rejects a replayed IdP-initiated assertion (replay cache)", async () => {
      const s = await givenSamlClinic();
      const response = await idpResponse(s, { email: s.email });
      assert.equal((await postToAcs(t, t.client(), s.clinic.subdomain, response)).status, 303);
      const replay = await postToAcs(t, t.client(), s.clinic.subdomain, response);
      assert.equal(replay.status, 403);
      assert.equal((await latestSsoEvent(t, s.clinic.subdomain)).code, "assertion_replayed");
    });

    test("rejects a response to a request we never sent (foreign InResponseTo)", async () => {
      const s = await givenSamlClinic();
      const response = await idpResponse(s, { email: s.email, inResponseTo: "_made_up_request" });
      assert.equal((await postToAcs(t, t.client(), s.clinic.subdomain, response)).status, 403);
      assert.equal((await latestSsoEvent(t, s.clinic.subdomain)).code, "unknown_request");
    });

    test("rejects a response answering another clinic's request", async () => {
      const a = await givenSamlClinic();
      const b = await givenSamlClinic();
      const { requestId } = await startLogin(t, t.client(), a.clinic);
      const response = await idpResponse(b, { email: b.email, inResponseTo: requestId });
      assert.equal((await postToAcs(t, t.client(), b.clinic.subdomain, response)).status, 403);
      assert.equal((await latestSsoEvent(t, b.clinic.subdomain)).code, "request_for_other_clinic");
    });

    test("rejects an answer after the request expired (10 minutes)", async () => {
      const s = await givenSamlClinic();
      const { requestId } = await startLogin(t, t.client(), s.clinic);
      t.advanceClock(11 * 60_000);
      try {
        const response = await idpResponse(s, { email: s.email, inResponseTo: requestId, now: new Date(Date.now() + 11 * 60_000) });
        assert.equal((await postToAcs(t, t.client(), s.clinic.subdomain, response)).status, 403);
        assert.equal((await latestSsoEvent(t, s.clinic.subdomain)).code, "request_expired");
      } finally {
        t.advanceClock(-11 * 60_000);
      }
    });

    test("requests long past their expiry are deleted by the periodic clean-up", async () => {
      const s = await givenSamlClinic();
      const { requestId: old } = await startLogin(t, t.client(), s.clinic);
      t.advanceClock(2 * 3_600_000);
      try {
        const { requestId: fresh } = await startLogin(t, t.client(), s.clinic);
        await t.app.pruneSignInRecords();
        const ids = (await t.db.selectFrom("saml_requests").select("id").where("id", "in", [old, fresh]).execute()).map((r) => r.id);
        assert.deepEqual(ids, [fresh]);
      } finally {
        t.advanceClock(-2 * 3_600_000);
      }
    });

    test("an assertion sent to clinic A's ACS never creates a session on clinic B (cross-clinic post)", async () => {
      const a = await givenSamlClinic();
      const b = await givenSamlClinic();
      const client = t.client();
      const forA = await idpResponse(a, { email: a.email });
      const res = await postToAcs(t, client, b.clinic.subdomain, forA);
      assert.equal(res.status, 403);
      assert.match((await latestSsoEvent(t, b.clinic.subdomain)).code, /invalid_signature|wrong_issuer|wrong_audience/);
      assert.equal((await client.get(t.clinicUrl(b.clinic.subdomain, "/api/v1/session"))).status, 401);
    });

    test("two clinics trusting one IdP (one Google Workspace key): A's assertion is still refused at B's ACS", async () => {
      const a = await givenSamlClinic();
      const b = await givenClinic(t, 5, "Sister Clinic");
      await givenMember(t, b, { email: a.email.replace("@", "+b@") });
      const shared = await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${b.subdomain}/sso/saml`),
          { idpEntityId: a.idp.entityId, idpSsoUrl: a.idp.ssoUrl, idpCertificates: [a.idp.certificatePem] },
          t.operator,
          "PUT",
        );
      assert.equal(shared.status, 200);
      const client = t.client();
      const forA = await idpResponse(a, { email: a.email });
      const res = await postToAcs(t, client, b.subdomain, forA);
      assert.equal(res.status, 403);
      // The signature is valid for B too: what stops it is that it was addressed to A.
      assert.equal((await latestSsoEvent(t, b.subdomain)).code, "wrong_destination");
      assert.equal((await client.get(t.clinicUrl(b.subdomain, "/api/v1/session"))).status, 401);
    });

    test("never signs in or takes over an account that belongs to another clinic", async () => {
      const a = await givenSamlClinic();
      const b = await givenSamlClinic({ jitProvisioning: true });
      // Clinic B's own IdP vouches for an address that is a member of clinic A.
      const response = await idpResponse(b, { email: a.email });
      const res = await postToAcs(t, t.client(), b.clinic.subdomain, response);
      assert.equal(res.status, 403);
      assert.match(res.body, /belongs to another clinic/);
      assert.equal((await latestSsoEvent(t, b.clinic.subdomain)).code, "member_of_other_clinic");
    });

    test("a person the clinic has not added gets a clear page (JIT off)", async () => {
      const s = await givenSamlClinic();
      const response = await idpResponse(s, { email: "stranger@example.org" });
      const res = await postToAcs(t, t.client(), s.clinic.subdomain, response);
      assert.equal(res.status, 403);
      assert.match(res.body, /Your clinic has not added you yet/);
      const event = await latestSsoEvent(t, s.clinic.subdomain);
      assert.equal(event.code, "not_provisioned");
      assert.ok(res.body.includes(event.reference), "the page shows the reference of the logged event");
    });

    test("a response posted to a clinic without SSO is refused", async () => {
      const clinic = await givenClinic(t);
      const res = await postToAcs(t, t.client(), clinic.subdomain, "PHNhbWxwOlJlc3BvbnNlLz4=");
      assert.equal(res.status, 403);
      assert.match(res.body, /not turned on single sign-on/);
    });

    test("SP-initiated sign-in at a clinic whose single sign-on is off, or not set up, is refused and starts nothing", async () => {
      const off = await givenSamlClinic({ enabled: false });
      const bare = await givenClinic(t);
      for (const subdomain of [off.clinic.subdomain, bare.subdomain]) {
        const client = t.client();
        const res = await client.get(t.clinicUrl(subdomain, "/saml/login"));
        assert.equal(res.status, 404);
        assert.match(res.body, /This clinic has not turned on single sign-on/);
        assert.equal(client.cookie(new URL(t.clinicUrl(subdomain)).hostname, "sso-binding"), undefined);
      }
    });

    test("a body that is no form is refused like an unreadable response, not answered as a fault", async () => {
      const s = await givenSamlClinic();
      const res = await t.client().postJson(t.clinicUrl(s.clinic.subdomain, "/saml/acs"), ["SAMLResponse"]);
      assert.equal(res.status, 403);
      assert.match(res.body, /Back to sign-in/);
    });

    test("a clinic admin signed in here gets the diagnosis link even when no signature vouched for anyone", async () => {
      const s = await givenSamlClinic();
      const admin = `admin@${s.clinic.subdomain}.example`;
      await givenMember(t, s.clinic, { email: admin, name: "Ada Admin", role: "admin" });
      const client = t.client();
      assert.equal((await signInWithPasswordForm(client, t.clinicUrl(s.clinic.subdomain, "/sign-in"), admin)).status, 303);
      const res = await postToAcs(t, client, s.clinic.subdomain, "PHNhbWxwOlJlc3BvbnNlLz4=");
      assert.equal(res.status, 403);
      const event = await latestSsoEvent(t, s.clinic.subdomain);
      assert.ok(res.body.includes(`/settings/sso/events?reference=${event.reference}`));
      // Anyone else who posts the same gets only the way back.
      assert.match((await postToAcs(t, t.client(), s.clinic.subdomain, "PHNhbWxwOlJlc3BvbnNlLz4=")).body, /Back to sign-in/);
    });

    test("an oversized POST to the ACS gets 413", async () => {
      const s = await givenSamlClinic();
      const res = await postToAcs(t, t.client(), s.clinic.subdomain, "A".repeat(1_200_000));
      assert.equal(res.status, 413);
    });

    describe("attacks posted to the real ACS", () => {
      for (const attack of samlAttacks) {
        test(`rejects ${attack.name}`, async () => {
          const s = await givenSamlClinic();
          const client = t.client();
          const { requestId } = await startLogin(t, client, s.clinic);
          const response = await attack.build({
            idp: s.idp,
            attackerIdp,
            sp: s.sp,
            email: s.email,
            now: new Date(),
            inResponseTo: requestId,
          });
          const res = await postToAcs(t, client, s.clinic.subdomain, response);
          assert.equal(res.status, 403);
          assert.doesNotMatch(res.body, /<saml|Assertion|    at /, "the page never echoes XML or a stack trace");
          const event = await latestSsoEvent(t, s.clinic.subdomain);
          assert.equal(event.code, attack.expectedCode);
          assert.doesNotMatch(event.reason, /<saml|<\?xml/);
          assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).status, 401);
        });
      }
    });
  });
}
