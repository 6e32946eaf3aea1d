import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import type { Clinic } from "../src/clinics/clinic.js";
import type { Dialect } from "../src/db/open.js";
import { sha256Hex } from "../src/ids.js";
import { LogInvitationMailer } from "../src/users/invitation-mailer.js";
import { updateMember } from "../src/users/manage-members.js";
import { testDialects } from "./support/databases.js";
import { HttpClient, csrfFrom, type HttpResponse } from "./support/http-client.js";
import { PASSWORD, givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, postToAcs, startLogin } from "./support/saml-flow.js";

async function startApp(dialect: Dialect): Promise<TestApp> {
  return startTestApp(dialect);
}

const NEW_PASSWORD = "a brand new long password";
const DAY_MS = 24 * 60 * 60_000;

function usersUrl(t: TestApp, clinic: Clinic, path = ""): string {
  return t.clinicUrl(clinic.subdomain, `/settings/users${path}`);
}

async function signedIn(t: TestApp, clinic: Clinic, email: string, password = PASSWORD): Promise<HttpClient> {
  const client = t.client();
  const res = await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), email, password);
  assert.equal(res.status, 303, `sign-in of ${email} failed`);
  return client;
}

/** Posts one of the Manage Users forms the way the page does: with the page's CSRF token. */
async function act(client: HttpClient, t: TestApp, clinic: Clinic, action: string, fields: Record<string, string>): Promise<HttpResponse> {
  const page = await client.get(usersUrl(t, clinic));
  assert.equal(page.status, 200);
  return client.postForm(usersUrl(t, clinic, `/${action}`), { _csrf: csrfFrom(page.body), ...fields });
}

async function membershipOf(t: TestApp, email: string) {
  return t.db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["memberships.status", "memberships.role", "users.password_hash"])
    .where("users.email", "=", email)
    .executeTakeFirstOrThrow();
}

async function sessionCount(t: TestApp, email: string): Promise<number> {
  const rows = await t.db
    .selectFrom("sessions")
    .innerJoin("users", "users.id", "sessions.user_id")
    .select("sessions.id")
    .where("users.email", "=", email)
    .execute();
  return rows.length;
}

async function auditTrail(t: TestApp, clinic: Clinic) {
  const rows = await t.db
    .selectFrom("audit_events")
    .select(["action", "actor", "target", "detail"])
    .where("clinic_id", "=", clinic.id)
    .execute();
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

async function seatsUsed(t: TestApp, clinic: Clinic): Promise<number> {
  return (await t.client().get(t.main(`/api/v1/clinics/${clinic.subdomain}`), t.operator)).json().seatsUsed;
}

/** A clinic with one admin, signed in on the clinic's host. */
async function clinicWithAdmin(t: TestApp, seats = 5) {
  const clinic = await givenClinic(t, seats, "Harbor Health");
  const admin = await givenMember(t, clinic, { email: `admin@${clinic.subdomain}.example`, name: "Ada Admin", role: "admin" });
  const client = await signedIn(t, clinic, admin.user.email);
  return { clinic, admin, client };
}

function invitationLink(html: string): string {
  const match = /<code id="invitation-link">([^<]+)<\/code>/.exec(html);
  assert.ok(match, "the page shows the invitation link");
  return match[1]!;
}

/** Post/redirect/get: the POST answers 303 to the list, and that GET shows the link once. */
async function followToLink(client: HttpClient, t: TestApp, clinic: Clinic, posted: HttpResponse): Promise<HttpResponse> {
  assert.equal(posted.status, 303, posted.body);
  assert.equal(posted.location, "/settings/users");
  assert.ok(!posted.location.includes("invitations"), "the token never travels in a URL");
  return client.get(usersUrl(t, clinic));
}

async function invite(client: HttpClient, t: TestApp, clinic: Clinic, email: string, name = "Ivy Invitee", role = "provider") {
  const res = await followToLink(client, t, clinic, await act(client, t, clinic, "invite", { email, name, role }));
  assert.equal(res.status, 200, res.body);
  const link = invitationLink(res.body);
  return { link, path: new URL(link).pathname, token: new URL(link).pathname.split("/").pop()! };
}

for (const dialect of testDialects()) {
  describe(`Manage Users page (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startApp(dialect)));
    after(() => t.close());

    test("lists every member with role, room, status, last sign-in and the seats used", async () => {
      const { clinic, admin, client } = await clinicWithAdmin(t, 4);
      await givenMember(t, clinic, {
        email: `rosa@${clinic.subdomain}.example`,
        name: "Dr. Rosa Reyes",
        roomName: `rosa-${clinic.subdomain}`,
      });
      const page = await client.get(usersUrl(t, clinic));
      assert.equal(page.status, 200);
      assert.match(page.body, /<h1>Manage Users<\/h1>/);
      assert.match(
        page.body,
        /<a href="\/dashboard">Dashboard<\/a> → <a href="\/settings">Clinic settings<\/a> → <span aria-current="page">Manage Users/,
      );
      assert.match(page.body, /<strong>2<\/strong> of 4 seats used/);
      const rosaRow = page.body.split(`data-email="rosa@${clinic.subdomain}.example"`)[1]!.split("</tr>")[0]!;
      assert.match(rosaRow, /Dr. Rosa Reyes/);
      assert.ok(rosaRow.includes(`rosa-${clinic.subdomain}`));
      assert.match(rosaRow, />provider</);
      assert.match(rosaRow, />Active</);
      assert.match(rosaRow, /Never/);
      assert.match(rosaRow, /Make admin/);
      const adminRow = page.body.split(`data-email="${admin.user.email}"`)[1]!.split("</tr>")[0]!;
      assert.match(adminRow, /Ada Admin<\/strong> \(you\)/);
      // One date format on every page: a <time> with the ISO moment, shown as "1 Dec 2026, 22:03 UTC" until the script localises it.
      assert.match(adminRow, /<time datetime="\d{4}-\d\d-\d\dT[^"]+Z" data-local="datetime">\d{1,2} \w{3} \d{4}, \d\d:\d\d UTC<\/time>/);
      assert.match(adminRow, /with password/);
      // The only admin is shown why the changes that would be refused are unavailable, rather than offered them.
      assert.match(adminRow, /<button type="button" class="secondary" disabled[^>]*>Make provider<\/button>/);
      assert.match(adminRow, /<button type="button" class="secondary" disabled[^>]*>Remove<\/button>/);
      assert.match(adminRow, /You are the only admin: make someone else admin/);
    });

    test("removing a member frees their seat and ends every open session of theirs at once", async () => {
      const { clinic, admin, client } = await clinicWithAdmin(t, 3);
      const email = `gone@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Gil Gone", roomName: `gil-${clinic.subdomain}` });
      const onClinic = await signedIn(t, clinic, email);
      const onMain = t.client();
      assert.equal((await signInWithPasswordForm(onMain, t.main("/sign-in"), email)).status, 303);
      assert.equal((await onClinic.get(t.clinicUrl(clinic.subdomain, "/dashboard"))).status, 200);
      assert.equal(await sessionCount(t, email), 2);
      assert.equal(await seatsUsed(t, clinic), 2);

      const res = await act(client, t, clinic, "remove", { email });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/settings/users");
      // Deleted on the server before the person makes another request, not merely refused when they do.
      assert.equal(await sessionCount(t, email), 0);
      assert.equal((await membershipOf(t, email)).status, "deactivated");
      assert.equal(await seatsUsed(t, clinic), 1);

      assert.equal((await onClinic.get(t.clinicUrl(clinic.subdomain, "/dashboard"))).location, "/sign-in?returnTo=%2Fdashboard");
      assert.equal((await onMain.get(t.main("/api/v1/session"))).status, 401);
      assert.equal((await signInWithPasswordForm(t.client(), t.clinicUrl(clinic.subdomain, "/sign-in"), email)).status, 401);

      const page = await client.get(usersUrl(t, clinic));
      assert.match(page.body, new RegExp(`${email} was removed: their seat is free`));
      assert.doesNotMatch((await client.get(usersUrl(t, clinic))).body, /was removed/, "the notice is shown once, not after a refresh");
      assert.match(page.body, /<strong>1<\/strong> of 3 seats used/);
      assert.match(page.body.split(`data-email="${email}"`)[1]!.split("</tr>")[0]!, />Removed<.*Restore/s);
      const events = (await auditTrail(t, clinic)).filter((e) => e.action === "member.remove");
      assert.deepEqual(events, [
        { action: "member.remove", actor: admin.user.id, target: email, detail: { from: "active", to: "deactivated" } },
      ]);
    });

    test("removing a removed member changes nothing and says so", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `twice@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email });
      assert.equal((await act(client, t, clinic, "remove", { email })).status, 303);
      const again = await act(client, t, clinic, "remove", { email });
      assert.equal(again.location, "/settings/users");
      assert.match((await client.get(usersUrl(t, clinic))).body, new RegExp(`Nothing changed: ${email} already was as asked`));
      assert.equal((await auditTrail(t, clinic)).filter((e) => e.action === "member.remove").length, 1);
    });

    test("restores a removed member, who takes a seat and can sign in again", async () => {
      const { clinic, admin, client } = await clinicWithAdmin(t, 2);
      const email = `back@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email });
      await act(client, t, clinic, "remove", { email });
      const res = await act(client, t, clinic, "restore", { email });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/settings/users");
      assert.match((await client.get(usersUrl(t, clinic))).body, new RegExp(`${email} was restored and can sign in again`));
      assert.equal((await membershipOf(t, email)).status, "active");
      assert.equal(await seatsUsed(t, clinic), 2);
      await signedIn(t, clinic, email);
      const events = (await auditTrail(t, clinic)).filter((e) => e.action === "member.restore");
      assert.deepEqual(events, [
        { action: "member.restore", actor: admin.user.id, target: email, detail: { from: "deactivated", to: "active" } },
      ]);
    });

    test("refuses to restore a member when no seat is free, in words", async () => {
      const { clinic, client } = await clinicWithAdmin(t, 2);
      const email = `waiting@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email });
      await act(client, t, clinic, "remove", { email });
      await givenMember(t, clinic, { email: `newcomer@${clinic.subdomain}.example` });
      const res = await act(client, t, clinic, "restore", { email });
      assert.equal(res.status, 422);
      assert.match(res.body, /No free seat: remove someone or add seats/);
      assert.equal((await membershipOf(t, email)).status, "deactivated");
      assert.equal(await seatsUsed(t, clinic), 2);
      assert.equal((await auditTrail(t, clinic)).filter((e) => e.action === "member.restore").length, 0);
    });

    test("makes a provider admin and back; the role decides who may open the page", async () => {
      const { clinic, admin, client } = await clinicWithAdmin(t);
      const email = `promo@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email });
      const promoted = await act(client, t, clinic, "role", { email, role: "admin" });
      assert.equal(promoted.location, "/settings/users");
      assert.equal((await membershipOf(t, email)).role, "admin");
      const them = await signedIn(t, clinic, email);
      assert.equal((await them.get(usersUrl(t, clinic))).status, 200);

      assert.equal((await act(client, t, clinic, "role", { email, role: "provider" })).status, 303);
      assert.equal((await membershipOf(t, email)).role, "provider");
      // The same session, now a provider's: the role is read on every request.
      assert.equal((await them.get(usersUrl(t, clinic))).status, 403);
      const events = (await auditTrail(t, clinic)).filter((e) => e.action === "member.role_change");
      assert.deepEqual(
        events.map((e) => [e.actor, e.target, e.detail.to]),
        [
          [admin.user.id, email, "admin"],
          [admin.user.id, email, "provider"],
        ],
      );
    });

    test("the last admin cannot demote or remove themselves", async () => {
      const { clinic, admin, client } = await clinicWithAdmin(t);
      const demote = await act(client, t, clinic, "role", { email: admin.user.email, role: "provider" });
      assert.equal(demote.status, 409);
      assert.match(demote.body, /You are the last admin: make someone else admin first/);
      const remove = await act(client, t, clinic, "remove", { email: admin.user.email });
      assert.equal(remove.status, 409);
      assert.match(remove.body, /You are the last admin: make someone else admin first/);
      assert.deepEqual(await membershipOf(t, admin.user.email).then((m) => [m.status, m.role]), ["active", "admin"]);
      assert.equal((await client.get(usersUrl(t, clinic))).status, 200);
    });

    test("an admin who is not the last one may step down", async () => {
      const { clinic, admin, client } = await clinicWithAdmin(t);
      await givenMember(t, clinic, { email: `second@${clinic.subdomain}.example`, role: "admin" });
      const res = await act(client, t, clinic, "role", { email: admin.user.email, role: "provider" });
      assert.equal(res.status, 303);
      assert.equal((await membershipOf(t, admin.user.email)).role, "provider");
      assert.equal((await client.get(usersUrl(t, clinic))).status, 403);
    });

    test("a provider gets a 403 page in plain words and cannot post actions", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: `boss@${clinic.subdomain}.example`, role: "admin" });
      const providerEmail = `prov@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email: providerEmail, roomName: `prov-${clinic.subdomain}` });
      const provider = await signedIn(t, clinic, providerEmail);
      const page = await provider.get(usersUrl(t, clinic));
      assert.equal(page.status, 403);
      assert.match(page.body, /Only clinic admins can open this page/);
      const dashboard = await provider.get(t.clinicUrl(clinic.subdomain, "/dashboard"));
      const res = await provider.postForm(usersUrl(t, clinic, "/remove"), {
        _csrf: csrfFrom(dashboard.body),
        email: `boss@${clinic.subdomain}.example`,
      });
      assert.equal(res.status, 403);
      assert.equal((await membershipOf(t, `boss@${clinic.subdomain}.example`)).status, "active");
    });

    test("a visitor who is not signed in is sent to sign in and back", async () => {
      const clinic = await givenClinic(t);
      const res = await t.client().get(usersUrl(t, clinic));
      assert.equal(res.status, 303);
      assert.equal(res.location, "/sign-in?returnTo=%2Fsettings%2Fusers");
    });

    test("on the main site the page says it lives on the clinic's own address", async () => {
      const page = await t.client().get(t.main("/settings/users"));
      assert.equal(page.status, 200);
      assert.match(page.body, /Manage Users is on your clinic&#39;s own address|Manage Users is on your clinic's own address/);
      assert.equal((await t.client().postForm(t.main("/settings/users/remove"), { email: "a@b.example" })).status, 403);
    });

    test("refuses an action posted without a valid CSRF token", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `kept@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email });
      await client.get(usersUrl(t, clinic));
      const missing = await client.postForm(usersUrl(t, clinic, "/remove"), { email });
      assert.equal(missing.status, 403);
      assert.match(missing.body, /This form has expired/);
      const forged = await client.postForm(usersUrl(t, clinic, "/remove"), { _csrf: "forged", email });
      assert.equal(forged.status, 403);
      assert.equal((await membershipOf(t, email)).status, "active");
    });

    test("an admin cannot touch a member of another clinic", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const other = await givenClinic(t);
      const outsider = `outsider@${other.subdomain}.example`;
      await givenMember(t, other, { email: outsider, role: "admin" });
      for (const [action, fields] of [
        ["remove", {}],
        ["role", { role: "provider" }],
        ["restore", {}],
      ] as const) {
        const res = await act(client, t, clinic, action, { email: outsider, ...fields });
        assert.equal(res.status, 404, action);
        assert.match(res.body, /That person is not a member of this clinic/);
      }
      assert.deepEqual(await membershipOf(t, outsider).then((m) => [m.status, m.role]), ["active", "admin"]);
    });

    test("a crafted query string announces nothing: notices come only from a change this session made", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `real@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email });
      for (const query of [
        `?done=removed&email=${encodeURIComponent("the auditor@clinic.org")}`,
        `?done=restored&email=${encodeURIComponent(email)}`,
        `?done=removed&email=${encodeURIComponent("<b>x</b>@e.org")}`,
      ]) {
        const page = await client.get(usersUrl(t, clinic, query));
        assert.equal(page.status, 200);
        assert.doesNotMatch(page.body, /was removed|was restored|the auditor|<b>x/, query);
      }
      // The real action shows its notice once; a link crafted for someone else's browser shows nothing there.
      const victim = await signedIn(t, clinic, `admin@${clinic.subdomain}.example`);
      assert.equal((await act(client, t, clinic, "remove", { email })).location, "/settings/users");
      assert.doesNotMatch((await victim.get(usersUrl(t, clinic, `?done=removed&email=${encodeURIComponent(email)}`))).body, /was removed/);
      assert.match((await client.get(usersUrl(t, clinic, "?done=unchanged"))).body, new RegExp(`${email} was removed`));
      assert.doesNotMatch((await client.get(usersUrl(t, clinic))).body, /was removed/);
    });
  });

  describe(`invitations (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startApp(dialect)));
    after(() => t.close());

    test("an invitation takes a seat, shows its link once, and stores only the token's hash", async () => {
      const { clinic, admin, client } = await clinicWithAdmin(t);
      const email = `ivy@${clinic.subdomain}.example`;
      const { link, token } = await invite(client, t, clinic, "Ivy@" + `${clinic.subdomain}.example`, "Ivy Invitee", "admin");
      assert.ok(link.startsWith(t.clinicUrl(clinic.subdomain, "/invitations/")));
      assert.match(token, /^[A-Za-z0-9_-]{43}$/);
      assert.deepEqual([(await membershipOf(t, email)).status, (await membershipOf(t, email)).role], ["invited", "admin"]);
      assert.equal(await seatsUsed(t, clinic), 2);
      const rows = await t.db.selectFrom("invitations").selectAll().where("clinic_id", "=", clinic.id).execute();
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.token_hash, sha256Hex(token));
      assert.ok(!JSON.stringify(rows).includes(token));
      assert.equal(Date.parse(rows[0]!.expires_at) - Date.parse(rows[0]!.created_at), 7 * DAY_MS);
      // The list shows the invitee, but never the link again.
      const page = await client.get(usersUrl(t, clinic));
      assert.match(page.body.split(`data-email="${email}"`)[1]!.split("</tr>")[0]!, />Invited<.*Resend invitation/s);
      assert.ok(!page.body.includes(token));
      const actions = (await auditTrail(t, clinic)).filter((e) => e.target === email).map((e) => `${e.action} by ${e.actor}`);
      assert.deepEqual(actions.sort(), [`invitation.create by ${admin.user.id}`, `member.add by ${admin.user.id}`]);
    });

    test("accepting with a password activates the member, who can then sign in", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `nell@${clinic.subdomain}.example`;
      const { link } = await invite(client, t, clinic, email, "Nell Newhire");
      const invitee = t.client();
      const page = await invitee.get(link);
      assert.equal(page.status, 200);
      assert.match(page.body, /Join Harbor Health/);
      assert.match(page.body, /Welcome, Nell Newhire/);
      assert.ok(!page.body.includes("Join and continue with SSO"));
      const short = await invitee.postForm(link, { _csrf: csrfFrom(page.body), method: "password", password: "too short" });
      assert.equal(short.status, 400);
      assert.match(short.body, /Your password must be at least 12 characters/);
      assert.equal((await membershipOf(t, email)).status, "invited");

      const accepted = await invitee.postForm(link, { _csrf: csrfFrom(page.body), method: "password", password: NEW_PASSWORD });
      // Joined and signed in at once: on to the dashboard, which sends a member without a room to /welcome.
      assert.equal(accepted.status, 303);
      assert.equal(accepted.location, "/dashboard");
      assert.equal((await membershipOf(t, email)).status, "active");
      const fresh = (await invitee.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).json();
      assert.deepEqual([fresh.email, fresh.authMethod, fresh.onboardingRequired], [email, "password", true]);
      assert.equal((await invitee.get(t.clinicUrl(clinic.subdomain, "/dashboard"))).location, "/welcome");
      const member = await signedIn(t, clinic, email, NEW_PASSWORD);
      const session = (await member.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).json();
      assert.deepEqual([session.email, session.name, session.authMethod], [email, "Nell Newhire", "password"]);
      const events = (await auditTrail(t, clinic)).filter((e) => e.action === "invitation.accept");
      assert.equal(events.length, 1);
      assert.equal(events[0]!.target, email);
      assert.deepEqual(events[0]!.detail, { signInWith: "password" });
    });

    test("a used invitation link is refused", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `once@${clinic.subdomain}.example`;
      const { link } = await invite(client, t, clinic, email);
      const invitee = t.client();
      const csrf = csrfFrom((await invitee.get(link)).body);
      assert.equal((await invitee.postForm(link, { _csrf: csrf, method: "password", password: NEW_PASSWORD })).status, 303);
      const again = await invitee.get(link);
      assert.equal(again.status, 410);
      assert.match(again.body, /This invitation was already used/);
      // Replaying the form cannot set a new password through the old link.
      const replay = await invitee.postForm(link, { _csrf: csrf, method: "password", password: "an attacker's new password" });
      assert.equal(replay.status, 410);
      await signedIn(t, clinic, email, NEW_PASSWORD);
    });

    test("an unknown or malformed token gets a clear page", async () => {
      const clinic = await givenClinic(t);
      for (const token of ["A".repeat(43), "short", "%3Cscript%3E"]) {
        const res = await t.client().get(t.clinicUrl(clinic.subdomain, `/invitations/${token}`));
        assert.equal(res.status, 404, token);
        assert.match(res.body, /This invitation link is not valid/);
      }
    });

    test("an invitation of one clinic is not valid on another clinic's host", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const other = await givenClinic(t);
      const { token } = await invite(client, t, clinic, `cross@${clinic.subdomain}.example`);
      const res = await t.client().get(t.clinicUrl(other.subdomain, `/invitations/${token}`));
      assert.equal(res.status, 404);
      assert.equal((await t.client().get(t.main(`/invitations/${token}`))).status, 404);
    });

    test("removing an invitee withdraws the invitation and frees the seat", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `withdrawn@${clinic.subdomain}.example`;
      const { link } = await invite(client, t, clinic, email);
      assert.equal(await seatsUsed(t, clinic), 2);
      assert.equal((await act(client, t, clinic, "remove", { email })).status, 303);
      assert.equal(await seatsUsed(t, clinic), 1);
      const res = await t.client().get(link);
      assert.equal(res.status, 410);
      assert.match(res.body, /This invitation was withdrawn/);
    });

    test("restoring a removed invitee invites them again with a fresh link; the old link stays dead", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `comeback@${clinic.subdomain}.example`;
      const { link: old } = await invite(client, t, clinic, email);
      assert.equal((await act(client, t, clinic, "remove", { email })).status, 303);
      const restored = await act(client, t, clinic, "restore", { email });
      assert.equal(restored.status, 200);
      assert.match(restored.body, /had not accepted their invitation when they were removed: they are invited again/);
      const fresh = invitationLink(restored.body);
      assert.notEqual(fresh, old);
      // Never an active member without accepting: invited, holding a seat, unable to sign in until they accept.
      assert.equal((await membershipOf(t, email)).status, "invited");
      assert.equal(await seatsUsed(t, clinic), 2);
      assert.match((await client.get(usersUrl(t, clinic))).body.split(`data-email="${email}"`)[1]!.split("</tr>")[0]!, /Resend invitation/);
      assert.notEqual((await t.client().get(old)).status, 200, "the link withdrawn by the removal does not come back");
      const invitee = t.client();
      const page = await invitee.get(fresh);
      assert.equal(page.status, 200);
      const accepted = await invitee.postForm(fresh, { _csrf: csrfFrom(page.body), method: "password", password: NEW_PASSWORD });
      // Accepting with a password signs the person in and sends them on to their dashboard.
      assert.equal(accepted.status, 303);
      assert.equal((await membershipOf(t, email)).status, "active");
    });

    test("the restore itself withdraws the old link, before any new one is issued", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `between@${clinic.subdomain}.example`;
      const { link: old } = await invite(client, t, clinic, email);
      await act(client, t, clinic, "remove", { email });
      // The status change alone, as a crash between it and issuing the fresh link would leave it.
      const restored = await updateMember(t.db, clinic, email, { status: "active" }, { actor: "test", ip: null });
      assert.equal(restored.ok && restored.value.member.membership.status, "invited");
      assert.equal((await t.client().get(old)).status, 404);
    });

    test("restoring a member who had accepted gives back their access, not an invitation", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `joined@${clinic.subdomain}.example`;
      const { link } = await invite(client, t, clinic, email);
      const invitee = t.client();
      const page = await invitee.get(link);
      assert.equal((await invitee.postForm(link, { _csrf: csrfFrom(page.body), method: "password", password: NEW_PASSWORD })).status, 303);
      await act(client, t, clinic, "remove", { email });
      const restored = await act(client, t, clinic, "restore", { email });
      assert.equal(restored.status, 303);
      assert.equal((await membershipOf(t, email)).status, "active");
      await signedIn(t, clinic, email, NEW_PASSWORD);
    });

    test("resending replaces the link: the old one stops working, the new one works", async () => {
      const { clinic, admin, client } = await clinicWithAdmin(t);
      const email = `resent@${clinic.subdomain}.example`;
      const first = await invite(client, t, clinic, email);
      const resent = await followToLink(client, t, clinic, await act(client, t, clinic, "resend", { email }));
      assert.equal(resent.status, 200);
      const second = invitationLink(resent.body);
      assert.notEqual(second, first.link);
      assert.equal((await t.client().get(first.link)).status, 404);
      assert.equal((await t.client().get(second)).status, 200);
      const events = (await auditTrail(t, clinic)).filter((e) => e.action === "invitation.resend");
      assert.deepEqual(
        events.map((e) => [e.actor, e.target]),
        [[admin.user.id, email]],
      );
    });

    test("an invitee cannot be restored around their invitation, and a member cannot be re-invited", async () => {
      const { clinic, admin, client } = await clinicWithAdmin(t);
      const email = `pending@${clinic.subdomain}.example`;
      await invite(client, t, clinic, email);
      const restore = await act(client, t, clinic, "restore", { email });
      assert.equal(restore.status, 409);
      assert.match(restore.body, /has not accepted their invitation yet: resend it instead/);
      const again = await act(client, t, clinic, "invite", { email: admin.user.email, name: "Ada", role: "admin" });
      assert.equal(again.status, 409);
      assert.match(again.body, /That email already has an account/);
    });

    test("the invite form explains bad input field by field", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const res = await act(client, t, clinic, "invite", { email: "not-an-email", name: "", role: "owner" });
      assert.equal(res.status, 400);
      assert.match(res.body, /Email must be an email address/);
      assert.match(res.body, /Name must not be empty/);
      assert.match(res.body, /Role must be admin or provider/);
      assert.ok(res.body.includes('value="not-an-email"'));
    });

    test("no invitation when no seat is free", async () => {
      const { clinic, client } = await clinicWithAdmin(t, 1);
      const res = await act(client, t, clinic, "invite", { email: `nope@${clinic.subdomain}.example`, name: "No Seat", role: "provider" });
      assert.equal(res.status, 422);
      assert.match(res.body, /No free seat: remove someone or add seats/);
      assert.equal((await t.db.selectFrom("invitations").select("token_hash").where("clinic_id", "=", clinic.id).execute()).length, 0);
    });

    test("concurrent invitations of one email create exactly one invitation", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `race@${clinic.subdomain}.example`;
      const csrf = csrfFrom((await client.get(usersUrl(t, clinic))).body);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          client.postForm(usersUrl(t, clinic, "/invite"), { _csrf: csrf, email, name: "Racy Rae", role: "provider" }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [303, 409, 409, 409, 409, 409]);
      const invitations = await t.db.selectFrom("invitations").select("user_id").where("clinic_id", "=", clinic.id).execute();
      assert.equal(invitations.length, 1);
      assert.equal((await t.db.selectFrom("users").select("id").where("email", "=", email).execute()).length, 1);
      assert.equal(await seatsUsed(t, clinic), 2);
    });

    test("with the clinic's SSO on, an invitee can join without a password and sign in with SSO", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const saml = await connectTestIdp(t, clinic);
      const email = `sso@${clinic.subdomain}.example`;
      const { link } = await invite(client, t, clinic, email, "Sam Sso");
      const invitee = t.client();
      const page = await invitee.get(link);
      assert.match(page.body, /Join and continue with SSO/);
      assert.match(page.body, /Set password and join/);
      const joined = await invitee.postForm(link, { _csrf: csrfFrom(page.body), method: "sso" });
      assert.equal(joined.status, 303);
      assert.equal(joined.location, "/saml/login?returnTo=%2Fdashboard");
      const member = await membershipOf(t, email);
      assert.deepEqual([member.status, member.password_hash], ["active", null]);
      const { requestId } = await startLogin(t, invitee, clinic);
      const response = await saml.idp.buildResponse({
        spEntityId: saml.sp.entityId,
        acsUrl: saml.sp.acsUrl,
        email,
        inResponseTo: requestId,
        attributes: { email },
      });
      const acs = await postToAcs(t, invitee, clinic.subdomain, response);
      assert.equal(acs.status, 303, acs.body);
      assert.equal((await invitee.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).json().email, email);
    });

    test("joining with SSO is refused when the clinic has none", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `nosso@${clinic.subdomain}.example`;
      const { link } = await invite(client, t, clinic, email);
      const invitee = t.client();
      const res = await invitee.postForm(link, { _csrf: csrfFrom((await invitee.get(link)).body), method: "sso" });
      assert.equal(res.status, 400);
      assert.match(res.body, /Your clinic has no single sign-on: choose a password instead/);
      assert.equal((await membershipOf(t, email)).status, "invited");
    });
  });

  describe(`invitation expiry (${dialect})`, () => {
    // Its own app: the test moves the app's clock a week ahead, which would expire other tests' SAML responses.
    let t: TestApp;
    before(async () => (t = await startApp(dialect)));
    after(() => t.close());

    test("an invitation works for seven days and is refused after", async () => {
      const { clinic, client } = await clinicWithAdmin(t);
      const email = `late@${clinic.subdomain}.example`;
      const { link } = await invite(client, t, clinic, email);
      const invitee = t.client();
      t.advanceClock(7 * DAY_MS - 60_000);
      const stillValid = await invitee.get(link);
      assert.equal(stillValid.status, 200);
      t.advanceClock(2 * 60_000);
      const expired = await invitee.get(link);
      assert.equal(expired.status, 410);
      assert.match(expired.body, /This invitation has expired/);
      assert.match(expired.body, /Ask your clinic's admin to resend your invitation/);
      const post = await invitee.postForm(link, { _csrf: csrfFrom(stillValid.body), method: "password", password: NEW_PASSWORD });
      assert.equal(post.status, 410);
      assert.equal((await membershipOf(t, email)).status, "invited");
    });
  });

  describe(`operator users API (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startApp(dialect)));
    after(() => t.close());

    const usersApi = (clinic: Clinic, email?: string) =>
      t.main(`/api/v1/clinics/${clinic.subdomain}/users${email ? `/${encodeURIComponent(email)}` : ""}`);
    const patch = (clinic: Clinic, email: string, body: unknown) => t.client().postJson(usersApi(clinic, email), body, t.operator, "PATCH");

    async function clinicWithTwo(seats = 3) {
      const clinic = await givenClinic(t, seats);
      const admin = `admin@${clinic.subdomain}.example`;
      const provider = `prov@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email: admin, name: "Ada Admin", role: "admin" });
      await givenMember(t, clinic, { email: provider, name: "Pat Provider", roomName: `pat-${clinic.subdomain}` });
      return { clinic, admin, provider };
    }

    test("lists the clinic's users with seats, rooms and last sign-in", async () => {
      const { clinic, admin, provider } = await clinicWithTwo();
      await signedIn(t, clinic, provider);
      const res = await t.client().get(usersApi(clinic), t.operator);
      assert.equal(res.status, 200);
      const body = res.json();
      assert.deepEqual([body.seats, body.seatsUsed], [3, 2]);
      assert.deepEqual(body.users[0], {
        email: admin,
        name: "Ada Admin",
        role: "admin",
        status: "active",
        roomName: null,
        lastSignInAt: null,
        lastSignInMethod: null,
      });
      assert.equal(body.users[1].roomName, `pat-${clinic.subdomain}`);
      assert.equal(body.users[1].lastSignInMethod, "password");
      assert.match(body.users[1].lastSignInAt, /^\d{4}-\d\d-\d\dT/);
    });

    test("PATCH status deactivated removes the member: seat freed, sessions ended; active restores them", async () => {
      const { clinic, provider } = await clinicWithTwo();
      await signedIn(t, clinic, provider);
      const removed = await patch(clinic, provider, { status: "deactivated" });
      assert.equal(removed.status, 200);
      assert.equal(removed.json().status, "deactivated");
      assert.equal(await sessionCount(t, provider), 0);
      assert.equal(await seatsUsed(t, clinic), 1);
      const restored = await patch(clinic, provider, { status: "active" });
      assert.equal(restored.status, 200);
      assert.equal(restored.json().status, "active");
      assert.equal(await seatsUsed(t, clinic), 2);
      const events = (await auditTrail(t, clinic)).filter((e) => e.target === provider && e.actor === "operator").map((e) => e.action);
      assert.deepEqual(events, ["member.remove", "member.restore"]);
    });

    test("PATCH role changes the role; both fields at once are applied together", async () => {
      const { clinic, provider } = await clinicWithTwo();
      const promoted = await patch(clinic, provider, { role: "admin" });
      assert.equal(promoted.status, 200);
      assert.equal(promoted.json().role, "admin");
      await patch(clinic, provider, { status: "deactivated" });
      const both = await patch(clinic, provider, { status: "active", role: "provider" });
      assert.equal(both.status, 200);
      assert.deepEqual([both.json().status, both.json().role], ["active", "provider"]);
    });

    test("refuses to demote or remove the last active admin with 409", async () => {
      const { clinic, admin } = await clinicWithTwo();
      for (const body of [{ role: "provider" }, { status: "deactivated" }]) {
        const res = await patch(clinic, admin, body);
        assert.equal(res.status, 409);
        assert.equal(res.json().error, "last_admin");
      }
      assert.deepEqual(await membershipOf(t, admin).then((m) => [m.status, m.role]), ["active", "admin"]);
    });

    test("two admins demoted at the same moment: exactly one demotion wins", async () => {
      const { clinic, admin, provider } = await clinicWithTwo();
      await patch(clinic, provider, { role: "admin" });
      const results = await Promise.all([patch(clinic, admin, { role: "provider" }), patch(clinic, provider, { role: "provider" })]);
      assert.deepEqual(results.map((r) => r.status).sort(), [200, 409]);
      const admins = (await t.client().get(usersApi(clinic), t.operator)).json().users.filter((u: { role: string }) => u.role === "admin");
      assert.equal(admins.length, 1);
    });

    test("refuses to restore without a free seat with 422", async () => {
      const { clinic, provider } = await clinicWithTwo(2);
      await patch(clinic, provider, { status: "deactivated" });
      await givenMember(t, clinic, { email: `filler@${clinic.subdomain}.example` });
      const res = await patch(clinic, provider, { status: "active" });
      assert.equal(res.status, 422);
      assert.equal(res.json().error, "seat_limit_reached");
    });

    test("404 for an unknown member, a member of another clinic, and an unknown clinic", async () => {
      const { clinic } = await clinicWithTwo();
      const other = await clinicWithTwo();
      assert.equal((await patch(clinic, "nobody@example.org", { status: "deactivated" })).json().error, "member_not_found");
      const foreign = await patch(clinic, other.provider, { status: "deactivated" });
      assert.equal(foreign.status, 404);
      assert.equal((await membershipOf(t, other.provider)).status, "active");
      const noClinic = await t
        .client()
        .postJson(t.main("/api/v1/clinics/no-such-clinic/users/a%40b.org"), { role: "admin" }, t.operator, "PATCH");
      assert.equal(noClinic.json().error, "clinic_not_found");
    });

    test("explains a bad body field by field with 400", async () => {
      const { clinic, provider } = await clinicWithTwo();
      const bad = await patch(clinic, provider, { status: "invited", role: "owner", colour: "red" });
      assert.equal(bad.status, 400);
      assert.match(bad.json().fields.status, /deactivated or active/);
      assert.match(bad.json().fields.role, /admin or provider/);
      assert.match(bad.json().fields.colour, /not a known field/);
      const empty = await patch(clinic, provider, {});
      assert.equal(empty.status, 400);
      assert.match(empty.json().fields.body, /give status or role/);
    });

    test("needs the operator token and JSON", async () => {
      const { clinic, provider } = await clinicWithTwo();
      assert.equal((await t.client().get(usersApi(clinic))).status, 401);
      assert.equal((await t.client().postJson(usersApi(clinic, provider), { status: "deactivated" }, {}, "PATCH")).status, 401);
      const form = await t.client().send("PATCH", usersApi(clinic, provider), "status=deactivated", {
        "content-type": "application/x-www-form-urlencoded",
        ...t.operator,
      });
      assert.equal(form.status, 415);
      assert.equal((await membershipOf(t, provider)).status, "active");
    });

    test("PATCH status active on a removed invitee invites them again: status invited, a fresh link once", async () => {
      const clinic = await givenClinic(t);
      const email = `again@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, status: "invited" });
      assert.equal((await patch(clinic, email, { status: "deactivated" })).status, 200);
      const res = await patch(clinic, email, { status: "active" });
      assert.equal(res.status, 200);
      assert.equal(res.json().status, "invited");
      assert.match(res.json().invitationLink, new RegExp(`^${t.clinicUrl(clinic.subdomain, "/invitations/")}[A-Za-z0-9_-]{43}$`));
      assert.equal((await membershipOf(t, email)).status, "invited");
      assert.equal((await t.client().get(res.json().invitationLink)).status, 200);
      // Asking again changes nothing and hands out no second link.
      const again = await patch(clinic, email, { status: "active" });
      assert.equal(again.status, 409);
      assert.equal(again.json().error, "invitation_pending");
    });

    test("an invitee cannot be activated around their invitation", async () => {
      const clinic = await givenClinic(t);
      const email = `inv@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, status: "invited" });
      const res = await patch(clinic, email, { status: "active" });
      assert.equal(res.status, 409);
      assert.equal(res.json().error, "invitation_pending");
    });
  });
}

describe("invitation links stay out of the logs", () => {
  test("the log mailer names the invitee and nothing else", async () => {
    const lines: string[] = [];
    await new LogInvitationMailer({ info: (m) => lines.push(m) }).sendInvitation(
      "ann@example.org",
      "Acme",
      "http://acme.localhost/invitations/SECRET",
    );
    assert.deepEqual(lines, ["invitation created for ann@example.org"]);
  });

  test("inviting, opening and accepting a link log no token, even with the default request serializer", async () => {
    const logs: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) });
    const t = await startTestApp("sqlite", { logger: { level: "info", stream } });
    try {
      const { clinic, client } = await clinicWithAdmin(t);
      const { link, token } = await invite(client, t, clinic, `logged@${clinic.subdomain}.example`);
      const invitee = t.client();
      const page = await invitee.get(link);
      assert.equal(page.status, 200);
      assert.equal((await invitee.postForm(link, { _csrf: csrfFrom(page.body), method: "password", password: NEW_PASSWORD })).status, 303);
      const all = logs.join("");
      assert.match(all, new RegExp(`invitation created for logged@${clinic.subdomain}.example`));
      // The other requests were logged with their URLs: the serializer is on, so silence on the link is the route's doing.
      assert.match(all, /\/settings\/users\/invite/);
      assert.ok(!all.includes(token), "the token reached a log line");
    } finally {
      await t.close();
    }
  });
});
