import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { testDialects } from "./support/databases.js";
import { csrfFrom } from "./support/http-client.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { scimClient } from "./support/scim-flow.js";

const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";

for (const dialect of testDialects()) {
  describe(`SCIM on the settings page and in Manage Users (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    async function signedInAdmin() {
      const clinic = await givenClinic(t, 5, "Northside Health");
      const admin = await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      const client = t.client();
      assert.equal((await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), admin.user.email)).status, 303);
      return { clinic, client };
    }

    test("an admin sees the base URL, generates a token shown once, sees the IdP's requests, and revokes the token", async () => {
      const { clinic, client } = await signedInAdmin();
      const settings = t.clinicUrl(clinic.subdomain, "/settings/sso");
      const page = await client.get(settings);
      assert.equal(page.status, 200);
      assert.ok(
        page.body.includes(
          `<code id="scim-base-url" aria-labelledby="scim-base-url-label">${t.clinicUrl(clinic.subdomain, "/scim/v2")}</code>`,
        ),
      );
      assert.match(page.body, /No token yet/);

      const shown = await client.postForm(t.clinicUrl(clinic.subdomain, "/settings/sso/scim/tokens"), { _csrf: csrfFrom(page.body) });
      assert.equal(shown.status, 200);
      assert.equal(shown.headers["cache-control"], "no-store");
      const token = /<code id="scim-token"[^>]*>([^<]+)<\/code>/.exec(shown.body)?.[1];
      assert.ok(token && token.length >= 43);

      const scim = scimClient(t, clinic, token);
      assert.equal((await scim.post("/Users", { schemas: [USER_SCHEMA], userName: `pia@${clinic.subdomain}.example` })).status, 201);
      assert.equal((await scim.post("/Users", { schemas: [USER_SCHEMA] })).status, 400);
      const after = await client.get(settings);
      assert.ok(!after.body.includes(token), "the token is never shown again");
      const requests = after.body.split('id="scim-requests"')[1]!.split("</table>")[0]!;
      assert.match(requests, /POST \/scim\/v2\/Users<\/code><\/td><td data-label="Outcome">201 ok/);
      assert.match(requests, /POST \/scim\/v2\/Users<\/code><\/td><td data-label="Outcome">400 refused: invalid value/);

      const users = await client.get(t.clinicUrl(clinic.subdomain, "/settings/users"));
      const row = users.body.split(`data-email="pia@${clinic.subdomain}.example"`)[1]!.split("</tr>")[0]!;
      assert.match(row, /Managed by SCIM/);
      assert.doesNotMatch(users.body.split(`data-email="admin@${clinic.subdomain}.example"`)[1]!.split("</tr>")[0]!, /Managed by SCIM/);

      const tokenId = /data-token-id="([^"]+)"/.exec(after.body)![1]!;
      const revoked = await client.postForm(t.clinicUrl(clinic.subdomain, `/settings/sso/scim/tokens/${tokenId}/revoke`), {
        _csrf: csrfFrom(after.body),
      });
      assert.equal(revoked.status, 303);
      assert.match((await client.get(settings)).body, /The SCIM token is revoked/);
      assert.equal((await scim.get("/Users")).status, 401);
    });

    test("the admin group set on the page decides who the group push makes admin", async () => {
      const { clinic, client } = await signedInAdmin();
      const page = await client.get(t.clinicUrl(clinic.subdomain, "/settings/sso"));
      const saved = await client.postForm(t.clinicUrl(clinic.subdomain, "/settings/sso/scim/admin-group"), {
        _csrf: csrfFrom(page.body),
        adminGroup: " Clinic Admins ",
      });
      assert.equal(saved.status, 303);
      assert.match((await client.get(t.clinicUrl(clinic.subdomain, "/settings/sso"))).body, /value="Clinic Admins"/);
      const row = await t.db.selectFrom("scim_settings").select("admin_group").where("clinic_id", "=", clinic.id).executeTakeFirstOrThrow();
      assert.equal(row.admin_group, "Clinic Admins");
    });
  });
}
