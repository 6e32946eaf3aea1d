import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { csrfFrom } from "./support/http-client.js";
import { testDialects } from "./support/databases.js";
import { PASSWORD, givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, postToAcs, startLogin, type SamlClinic, idpResponse } from "./support/saml-flow.js";

// Each of these comes out of URL parsing as `//evil.com`, a link to another site, unless dot segments are refused.
const DOT_SEGMENT_ESCAPES = ["/.//evil.com", "/..//evil.com", "/a/..//evil.com", "/%2e//evil.com", "/%2e%2e//evil.com", "/.%2E//evil.com"];

for (const dialect of testDialects()) {
  describe(`return paths with dot segments never leave the site (${dialect})`, () => {
    let t: TestApp;
    let s: SamlClinic & { email: string; signIn: string };
    before(async () => {
      t = await startTestApp(dialect);
      const clinic = await givenClinic(t, 5, "Harbor Clinic");
      const email = `nurse@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Nia Nurse" });
      s = { ...(await connectTestIdp(t, clinic)), email, signIn: t.clinicUrl(clinic.subdomain, "/sign-in") };
    });
    after(() => t.close());

    for (const returnTo of DOT_SEGMENT_ESCAPES) {
      test(`signed-in /sign-in?returnTo=${returnTo} goes to the dashboard`, async () => {
        const client = t.client();
        await signInWithPasswordForm(client, s.signIn, s.email);
        const res = await client.get(`${s.signIn}?returnTo=${encodeURIComponent(returnTo)}`);
        assert.equal(res.status, 303);
        assert.equal(res.location, "/dashboard");
      });

      test(`password sign-in with returnTo=${returnTo} goes to the dashboard`, async () => {
        const client = t.client();
        const page = await client.get(`${s.signIn}?returnTo=${encodeURIComponent(returnTo)}`);
        assert.doesNotMatch(page.body, /evil\.com/, "the page does not carry the return path on");
        const res = await client.postForm(s.signIn, { _csrf: csrfFrom(page.body), email: s.email, password: PASSWORD, returnTo });
        assert.equal(res.status, 303);
        assert.equal(res.location, "/dashboard");
      });

      test(`/saml/login?returnTo=${returnTo} makes the ACS answer the dashboard`, async () => {
        const client = t.client();
        const { requestId } = await startLogin(t, client, s.clinic, returnTo);
        const response = await idpResponse(s, { email: s.email, inResponseTo: requestId });
        const acs = await postToAcs(t, client, s.clinic.subdomain, response);
        assert.equal(acs.status, 303);
        assert.equal(acs.location, "/dashboard");
      });
    }

    const relayStates = () => [
      ...DOT_SEGMENT_ESCAPES,
      ...DOT_SEGMENT_ESCAPES.map((path) => t.clinicUrl(s.clinic.subdomain, path)),
      t.clinicUrl(s.clinic.subdomain, "/%2e%2e//evil.com"),
    ];
    test("an IdP-initiated RelayState with dot segments, as a path or a same-host URL, lands on the dashboard", async () => {
      for (const relayState of relayStates()) {
        const response = await idpResponse(s, { email: s.email });
        const acs = await postToAcs(t, t.client(), s.clinic.subdomain, response, relayState);
        assert.equal(acs.status, 303, relayState);
        assert.equal(acs.location, "/dashboard", relayState);
      }
    });

    test("an ordinary return path is still followed on every entry point", async () => {
      const client = t.client();
      const page = await client.get(`${s.signIn}?returnTo=${encodeURIComponent("/settings/users")}`);
      const signIn = await client.postForm(s.signIn, {
        _csrf: csrfFrom(page.body),
        email: s.email,
        password: PASSWORD,
        returnTo: "/settings/users",
      });
      assert.equal(signIn.location, "/settings/users");
      assert.equal((await client.get(`${s.signIn}?returnTo=%2Fwelcome`)).location, "/welcome");
      const relayed = await idpResponse(s, { email: s.email });
      const acs = await postToAcs(t, t.client(), s.clinic.subdomain, relayed, t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.equal(acs.location, "/settings/sso");
    });
  });
}
