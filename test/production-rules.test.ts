import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { testDialects } from "./support/databases.js";
import { givenClinic, startTestApp, type TestApp } from "./support/harness.js";

// NODE_ENV=test in every case: production's rules come from where the site is served, not from NODE_ENV.
const PRODUCTION_STARTS = {
  "on a real domain": { NODE_ENV: "test", BASE_DOMAIN: "clinics.example.test" },
  "over https on localhost": { NODE_ENV: "test", PUBLIC_URL_SCHEME: "https" },
};

for (const dialect of testDialects()) {
  for (const [where, env] of Object.entries(PRODUCTION_STARTS)) {
    describe(`served ${where} without NODE_ENV=production (${dialect})`, () => {
      let t: TestApp;
      before(async () => (t = await startTestApp(dialect, { env })));
      after(() => t.close());

      const put = async (subdomain: string, body: unknown) =>
        t.client().postJson(t.main(`/api/v1/clinics/${subdomain}/sso/saml`), body, t.operator, "PUT");

      test("a metadata URL must be https", async () => {
        const clinic = await givenClinic(t);
        const res = await put(clinic.subdomain, { metadataUrl: "http://idp.example/metadata" });
        assert.equal(res.status, 400);
        assert.match(res.json().message, /metadataUrl: the metadata URL must start with https:\/\//);
      });

      test("a metadata URL on a local or private address is refused (the SSRF filter is on)", async () => {
        const clinic = await givenClinic(t);
        for (const metadataUrl of ["https://127.0.0.1:9/metadata", "https://[::ffff:127.0.0.1]:9/metadata", "https://10.0.0.1:9/m"]) {
          const res = await put(clinic.subdomain, { metadataUrl });
          assert.equal(res.status, 400, metadataUrl);
          assert.match(res.json().message, /private or local address/, metadataUrl);
        }
      });

      test("the demo identity provider is not served", async () => {
        assert.equal((await t.client().get(t.main("/demo-idp/metadata"))).status, 404);
        const started = await startTestApp(dialect, { env, withDemoIdp: true }).then(
          async (app) => (await app.close(), "started"),
          (error: unknown) => String(error),
        );
        assert.match(started, /never runs in production/);
      });
    });
  }
}
