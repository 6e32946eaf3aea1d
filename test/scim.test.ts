import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Clinic } from "../src/clinics/clinic.js";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, postToAcs, startLogin, type SamlClinic } from "./support/saml-flow.js";
import {
  assertScimError,
  auditOf,
  filterQuery,
  givenScimToken,
  membershipOf,
  scimClient,
  seatsUsed,
  type ScimClient,
} from "./support/scim-flow.js";

const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group";

for (const dialect of testDialects()) {
  describe(`SCIM provisioning replaying the IdPs' request sequences (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    async function scimClinic(seats = 5): Promise<{ clinic: Clinic; scim: ScimClient; tokenId: string }> {
      const clinic = await givenClinic(t, seats, "Riverside Clinic");
      await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      const { id, token } = await givenScimToken(t, clinic);
      return { clinic, scim: scimClient(t, clinic, token), tokenId: id };
    }

    test("Okta: test connection, lookup, create, read, PUT update, deactivate, reactivate", async () => {
      const { clinic, scim, tokenId } = await scimClinic();
      const email = `test.user@${clinic.subdomain}.example`;
      // Okta's "Test Connector Configuration".
      const probe = await scim.get("/Users?startIndex=1&count=2");
      assert.equal(probe.status, 200);
      assert.match(String(probe.headers["content-type"]), /^application\/scim\+json/);
      assert.equal(probe.json().schemas[0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");
      // Okta looks the person up before it creates them.
      const lookup = await scim.get(`/Users${filterQuery(`userName eq "${email}"`, "&startIndex=1&count=100")}`);
      assert.deepEqual([lookup.json().totalResults, lookup.json().Resources], [0, []]);

      const created = await scim.post("/Users", {
        schemas: [USER_SCHEMA],
        userName: email,
        name: { givenName: "Test", familyName: "User" },
        emails: [{ primary: true, value: email, type: "work" }],
        displayName: "Test User",
        locale: "en-US",
        externalId: "00ujl29u0le5T6Aj10h7",
        groups: [],
        password: "1mz050nq",
        active: true,
      });
      assert.equal(created.status, 201, created.body);
      const user = created.json();
      assert.equal(user.userName, email);
      assert.equal(user.externalId, "00ujl29u0le5T6Aj10h7");
      assert.equal(user.active, true);
      assert.deepEqual(user.name, { formatted: "Test User", givenName: "Test", familyName: "User" });
      assert.ok(!created.body.includes("1mz050nq"), "the password Okta sends is neither kept nor echoed");
      assert.equal(await seatsUsed(t, clinic), 2);
      assert.deepEqual(await membershipOf(t, email), { status: "active", role: "provider", name: "Test User", id: user.id });

      assert.equal((await scim.get(`/Users/${user.id}`)).json().userName, email);
      assert.equal((await scim.get(`/Users${filterQuery(`userName eq "${email.toUpperCase()}"`)}`)).json().Resources[0].id, user.id);

      // Okta's AIW apps update with PUT: the whole user.
      const put = await scim.put(`/Users/${user.id}`, { ...user, name: { givenName: "Tess", familyName: "Usher" } });
      assert.equal(put.status, 200, put.body);
      assert.equal(put.json().displayName, "Tess Usher");
      assert.equal((await membershipOf(t, email))?.name, "Tess Usher");

      // Okta deactivates with a PATCH whose value names the attribute (no path).
      const off = await scim.patch(`/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: false } }] });
      assert.equal(off.status, 200, off.body);
      assert.equal(off.json().active, false);
      assert.equal((await membershipOf(t, email))?.status, "deactivated");
      assert.equal(await seatsUsed(t, clinic), 1);

      // A PUT that leaves active out changes the attributes, not the status.
      const { active: _, ...withoutActive } = user;
      const kept = await scim.put(`/Users/${user.id}`, withoutActive);
      assert.equal(kept.status, 200, kept.body);
      assert.equal(kept.json().active, false);
      assert.equal(await seatsUsed(t, clinic), 1);

      const on = await scim.patch(`/Users/${user.id}`, { schemas: [PATCH_OP], Operations: [{ op: "replace", value: { active: true } }] });
      assert.equal(on.json().active, true);
      assert.equal(await seatsUsed(t, clinic), 2);

      assertScimError(await scim.get("/Users/010101010101"), 404);
      const actions = (await auditOf(t, clinic)).filter((e) => e.actor === `scim-token:${tokenId}`).map((e) => e.action);
      assert.deepEqual(actions, [
        "member.scim_provision",
        "member.identity_change",
        "member.remove",
        "member.identity_change",
        "member.restore",
      ]);
    });

    test('Entra ID: lookup, create with a userName that is not an address, PATCH with "False" strings, delete', async () => {
      const { clinic, scim, tokenId } = await scimClinic();
      const mail = `Test_User_fd0ea19b@${clinic.subdomain}.example`;
      const userName = "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1";
      assert.equal((await scim.get(`/Users${filterQuery(`userName eq "${userName}"`)}`)).json().totalResults, 0);
      const created = await scim.post("/Users", {
        schemas: [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        userName,
        active: true,
        emails: [{ primary: true, type: "work", value: mail }],
        meta: { resourceType: "User" },
        name: { formatted: "givenName familyName", familyName: "familyName", givenName: "givenName" },
        roles: [],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { department: "Cardiology", manager: { value: "x" } },
      });
      assert.equal(created.status, 201, created.body);
      const id = created.json().id;
      assert.equal(created.json().userName, userName.toLowerCase());
      assert.equal(created.json().emails[0].value, mail.toLowerCase());
      assert.equal((await scim.get(`/Users${filterQuery(`userName eq "${userName}"`)}`)).json().Resources[0].id, id);
      assert.equal((await scim.get(`/Users${filterQuery('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`)).json().totalResults, 1);

      const newMail = `updated.${clinic.subdomain}@${clinic.subdomain}.example`;
      const updated = await scim.patch(`/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [
          { op: "Replace", path: 'emails[type eq "work"].value', value: newMail },
          { op: "Replace", path: "name.familyName", value: "updatedFamilyName" },
          { op: "Add", path: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", value: "Radiology" },
          { op: "Add", path: "title", value: "Nurse" },
        ],
      });
      assert.equal(updated.status, 200, updated.body);
      assert.deepEqual([updated.json().emails[0].value, updated.json().displayName], [newMail, "givenName updatedFamilyName"]);

      // Entra ID sends booleans as the strings "False" and "True".
      const off = await scim.patch(`/Users/${id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: "Replace", path: "active", value: "False" }],
      });
      assert.equal(off.json().active, false);
      assert.equal((await membershipOf(t, newMail))?.status, "deactivated");
      const on = await scim.patch(`/Users/${id}`, { schemas: [PATCH_OP], Operations: [{ op: "Replace", path: "active", value: "True" }] });
      assert.equal(on.json().active, true);

      const deleted = await scim.delete(`/Users/${id}`);
      assert.equal(deleted.status, 204);
      assertScimError(await scim.get(`/Users/${id}`), 404);
      assert.equal((await scim.get(`/Users${filterQuery(`userName eq "${userName}"`)}`)).json().totalResults, 0);
      assert.equal((await membershipOf(t, newMail))?.status, "deactivated");
      assert.equal(await seatsUsed(t, clinic), 1);
      const remove = (await auditOf(t, clinic)).find((e) => e.action === "member.remove");
      assert.equal(remove?.actor, `scim-token:${tokenId}`);

      // Assigned again later: the same account comes back (matched by email), not a second one.
      const again = await scim.post("/Users", {
        schemas: [USER_SCHEMA],
        userName,
        externalId: "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        emails: [{ primary: true, value: newMail }],
      });
      assert.equal(again.status, 201, again.body);
      assert.equal(again.json().id, id);
      assert.equal((await membershipOf(t, newMail))?.status, "active");
    });

    test("group push: Okta's and Entra ID's member changes make and unmake admins of the configured group", async () => {
      const { clinic, scim } = await scimClinic();
      await t.db.insertInto("scim_settings").values({ clinic_id: clinic.id, admin_group: "Clinic Admins" }).execute();
      const ids: string[] = [];
      for (const name of ["ann", "ben"]) {
        const res = await scim.post("/Users", {
          schemas: [USER_SCHEMA],
          userName: `${name}@${clinic.subdomain}.example`,
          name: { givenName: name, familyName: "Doe" },
        });
        ids.push(res.json().id);
      }
      const [ann, ben] = ids as [string, string];
      // Okta: create the group empty, rename it with a no-path replace, then add and remove members.
      const group = await scim.post("/Groups", { schemas: [GROUP_SCHEMA], displayName: "Test SCIMv2", members: [] });
      assert.equal(group.status, 201, group.body);
      const gid = group.json().id;
      assert.equal(
        (
          await scim.patch(`/Groups/${gid}`, {
            schemas: [PATCH_OP],
            Operations: [{ op: "replace", value: { id: gid, displayName: "Clinic Admins" } }],
          })
        ).status,
        204,
      );
      const add = await scim.patch(`/Groups/${gid}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: "add", path: "members", value: [{ value: ann, display: `ann@${clinic.subdomain}.example` }] }],
      });
      assert.equal(add.status, 204, add.body);
      assert.equal((await membershipOf(t, `ann@${clinic.subdomain}.example`))?.role, "admin");
      await scim.patch(`/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `members[value eq "${ann}"]` }] });
      assert.equal((await membershipOf(t, `ann@${clinic.subdomain}.example`))?.role, "provider");

      // Entra ID: look the group up without members, then "Add"/"Remove" with a list of values.
      const found = await scim.get(`/Groups${filterQuery('displayName eq "Clinic Admins"', "&excludedAttributes=members")}`);
      assert.equal(found.json().Resources[0].id, gid);
      assert.equal(found.json().Resources[0].members, undefined);
      await scim.patch(`/Groups/${gid}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: "Add", path: "members", value: [{ $ref: null, value: ben }] }],
      });
      assert.equal((await membershipOf(t, `ben@${clinic.subdomain}.example`))?.role, "admin");
      assert.deepEqual(
        (await scim.get(`/Groups/${gid}`)).json().members.map((m: { value: string }) => m.value),
        [ben],
      );
      await scim.patch(`/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: "Remove", path: "members", value: [{ value: ben }] }] });
      assert.equal((await membershipOf(t, `ben@${clinic.subdomain}.example`))?.role, "provider");

      // A member of another group is not made admin; an unknown member id changes nothing.
      const other = await scim.post("/Groups", { schemas: [GROUP_SCHEMA], displayName: "Nurses", members: [{ value: ann }] });
      assert.equal(other.status, 201);
      assert.equal((await membershipOf(t, `ann@${clinic.subdomain}.example`))?.role, "provider");
      assertScimError(
        await scim.patch(`/Groups/${gid}`, {
          schemas: [PATCH_OP],
          Operations: [{ op: "add", path: "members", value: [{ value: ann }, { value: "nobody" }] }],
        }),
        400,
        "invalidValue",
      );
      assert.equal((await membershipOf(t, `ann@${clinic.subdomain}.example`))?.role, "provider", "nothing half-applied");
      assertScimError(await scim.post("/Groups", { schemas: [GROUP_SCHEMA], displayName: "Nurses" }), 409, "uniqueness");
      assert.equal((await scim.delete(`/Groups/${other.json().id}`)).status, 204);
    });
  });

  describe(`SCIM and single sign-on together (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    async function samlScimClinic(jitProvisioning: boolean): Promise<{ s: SamlClinic; scim: ScimClient }> {
      const clinic = await givenClinic(t, 5, "Hillside Health");
      await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
      const s = await connectTestIdp(t, clinic, { jitProvisioning });
      return { s, scim: scimClient(t, clinic, (await givenScimToken(t, clinic)).token) };
    }

    async function ssoSignIn(s: SamlClinic, email: string) {
      const client = t.client();
      const { requestId } = await startLogin(t, client, s.clinic);
      const response = await s.idp.buildResponse({
        spEntityId: s.sp.entityId,
        acsUrl: s.sp.acsUrl,
        email,
        inResponseTo: requestId,
        attributes: { email },
      });
      return { client, res: await postToAcs(t, client, s.clinic.subdomain, response) };
    }

    test("a SCIM-created user has no room and is onboarded at first SSO sign-in; deactivation ends that live session at once", async () => {
      const { s, scim } = await samlScimClinic(false);
      const email = `nina@${s.clinic.subdomain}.example`;
      const created = await scim.post("/Users", {
        schemas: [USER_SCHEMA],
        userName: email,
        name: { givenName: "Nina", familyName: "Nurse" },
      });
      assert.equal(created.status, 201);
      const { client, res } = await ssoSignIn(s, email);
      assert.equal(res.status, 303, res.body);
      const session = (await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json();
      assert.deepEqual([session.email, session.roomName, session.onboardingRequired], [email, null, true]);
      assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/dashboard"))).location, "/welcome");

      const off = await scim.patch(`/Users/${created.json().id}`, {
        schemas: [PATCH_OP],
        Operations: [{ op: "replace", path: "active", value: false }],
      });
      assert.equal(off.status, 200);
      // Ended on the server by the PATCH itself, not when the session would have expired.
      const sessions = await t.db.selectFrom("sessions").select("id").where("user_id", "=", created.json().id).execute();
      assert.equal(sessions.length, 0);
      assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).status, 401);
      // And the IdP's next assertion for them is refused.
      assert.equal((await ssoSignIn(s, email)).res.status, 403);
    });

    test("JIT first, SCIM after: the IdP's lookup and create find the JIT account; no second account, no second seat", async () => {
      const { s, scim } = await samlScimClinic(true);
      const email = `jo@${s.clinic.subdomain}.example`;
      assert.equal((await ssoSignIn(s, email)).res.status, 303);
      assert.equal(await seatsUsed(t, s.clinic), 2);
      const lookup = await scim.get(`/Users${filterQuery(`userName eq "${email}"`)}`);
      assert.equal(lookup.json().totalResults, 1);
      const created = await scim.post("/Users", {
        schemas: [USER_SCHEMA],
        userName: `JO@${s.clinic.subdomain}.example`,
        externalId: "okta-jo",
        emails: [{ value: email, primary: true }],
      });
      assert.equal(created.status, 201, created.body);
      assert.equal(created.json().id, lookup.json().Resources[0].id);
      assert.equal(await seatsUsed(t, s.clinic), 2);
      assert.equal((await t.db.selectFrom("users").select("id").where("email", "=", email).execute()).length, 1);
      // Claimed once: a second create of the same person is a uniqueness conflict, as is the same externalId for someone else.
      assertScimError(await scim.post("/Users", { schemas: [USER_SCHEMA], userName: email }), 409, "uniqueness");
      assertScimError(
        await scim.post("/Users", { schemas: [USER_SCHEMA], userName: `other@${s.clinic.subdomain}.example`, externalId: "okta-jo" }),
        409,
        "uniqueness",
      );
    });

    test("SCIM first, JIT after: the first sign-in finds the SCIM account", async () => {
      const { s, scim } = await samlScimClinic(true);
      const email = `sam@${s.clinic.subdomain}.example`;
      const created = await scim.post("/Users", { schemas: [USER_SCHEMA], userName: email });
      const { client, res } = await ssoSignIn(s, email);
      assert.equal(res.status, 303);
      assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json().email, email);
      assert.equal(await seatsUsed(t, s.clinic), 2);
      assert.equal((await membershipOf(t, email))?.id, created.json().id);
    });
  });
}
