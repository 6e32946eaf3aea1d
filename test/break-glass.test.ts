import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { csrfFrom, type HttpClient } from "./support/http-client.js";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { listOpenNotifications } from "../src/notifications/notification.queries.js";
import { connectTestIdp, postToAcs, startLogin, type SamlClinic, idpResponse } from "./support/saml-flow.js";

const REASON = "Okta tenant is down, need to turn enforcement off";

for (const dialect of testDialects()) {
  describe(`never locked out: recovery codes and the main-site hand-off (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    /** A clinic with two admins and a provider, whose SSO has worked once and is now required. */
    async function enforcedClinic(): Promise<SamlClinic & { admin: string; otherAdmin: string; provider: string }> {
      const clinic = await givenClinic(t, 10, "Lakeside Care");
      const admin = `admin@${clinic.subdomain}.example`;
      const otherAdmin = `second.admin@${clinic.subdomain}.example`;
      const provider = `provider@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email: admin, name: "Ada Admin", role: "admin" });
      await givenMember(t, clinic, { email: otherAdmin, name: "Bo Admin", role: "admin" });
      await givenMember(t, clinic, { email: provider, name: "Pat Provider" });
      const s = await connectTestIdp(t, clinic);
      const client = t.client();
      const { requestId } = await startLogin(t, client, clinic);
      const response = await idpResponse(s, { email: admin, inResponseTo: requestId });
      assert.equal((await postToAcs(t, client, clinic.subdomain, response)).status, 303);
      const enforced = await t
        .client()
        .postJson(t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`), { enforceSso: true }, t.operator, "PATCH");
      assert.equal(enforced.status, 200);
      return { ...s, admin, otherAdmin, provider };
    }

    /** Recovery codes generated on /settings/sso by an admin (signed in through the main-site hand-off). */
    async function generateCodes(s: SamlClinic, email: string): Promise<string[]> {
      const client = await handedOff(s, email);
      const settings = await client.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.match(settings.body, /You have no unused recovery codes/);
      const shown = await client.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/recovery-codes"), {
        _csrf: csrfFrom(settings.body),
      });
      assert.equal(shown.status, 200, shown.body.slice(0, 3000));
      assert.equal(shown.headers["cache-control"], "no-store");
      return [...shown.body.matchAll(/<code>([0-9A-Z-]{30})<\/code>/g)].map((m) => m[1]!);
    }

    /** Main site: password sign-in, Open clinic settings, followed to the clinic host. */
    async function handedOff(s: SamlClinic, email: string): Promise<HttpClient> {
      const client = t.client();
      await signInWithPasswordForm(client, t.main("/sign-in"), email);
      const account = await client.get(t.main("/account"));
      assert.match(account.body, /Open clinic settings/);
      const handoff = await client.postForm(t.main("/account/clinic-settings"), { _csrf: csrfFrom(account.body) });
      assert.equal(handoff.status, 303, handoff.body.slice(0, 3000));
      const exchanged = await client.get(handoff.location!);
      assert.equal(exchanged.location, "/settings/sso");
      return client;
    }

    async function useCode(s: SamlClinic, fields: { email: string; code: string; reason?: string }, client = t.client()) {
      const page = await client.get(t.clinicUrl(s.clinic.subdomain, "/sign-in/recovery"));
      const res = await client.postForm(t.clinicUrl(s.clinic.subdomain, "/sign-in/recovery"), {
        _csrf: csrfFrom(page.body),
        email: fields.email,
        code: fields.code,
        reason: fields.reason ?? REASON,
      });
      return { client, res };
    }

    async function refusesOutsideSettings(client: HttpClient, subdomain: string) {
      for (const path of ["/dashboard", "/welcome", "/waiting-room", "/%64ashboard", "/settingsx"]) {
        const res = await client.get(t.clinicUrl(subdomain, path));
        assert.equal(res.status, 403, path);
        assert.match(res.body, /This session opens only the clinic settings/, path);
      }
      const api = await client.get(t.clinicUrl(subdomain, "/api/v1/waiting-room"));
      assert.equal(api.status, 403);
      assert.equal(api.json().error, "settings_only_session");
      assert.equal((await client.get(t.clinicUrl(subdomain, "/settings/sso"))).status, 200);
      assert.equal((await client.get(t.clinicUrl(subdomain, "/settings/users"))).status, 200);
    }

    test("the enforced clinic's page links to the main site's sign-in and to the recovery-code sign-in", async () => {
      const s = await enforcedClinic();
      const page = await t.client().get(t.clinicUrl(s.clinic.subdomain, "/sign-in"));
      assert.ok(page.body.includes(`<a href="${t.main("/sign-in")}">sign in with your email and password on the main site</a>`));
      assert.ok(page.body.includes(`<a href="/sign-in/recovery">Sign in to the settings with a recovery code</a>`));
    });

    test("an admin on the main site reaches the clinic settings through a one-time hand-off, settings pages only", async () => {
      const s = await enforcedClinic();
      const client = await handedOff(s, s.admin);
      const me = (await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json();
      assert.deepEqual([me.email, me.authMethod], [s.admin, "handoff"]);
      await refusesOutsideSettings(client, s.clinic.subdomain);
      // The admin can now turn enforcement off from the page.
      const settings = await client.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      const off = await client.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/flags"), {
        _csrf: csrfFrom(settings.body),
        flag: "enforceSso",
        value: "off",
      });
      assert.equal(off.location, "/settings/sso");
      const audit = await t.db
        .selectFrom("audit_events")
        .select(["action", "detail"])
        .where("clinic_id", "=", s.clinic.id)
        .where("action", "=", "break_glass.used")
        .execute();
      assert.equal(JSON.parse(audit[0]!.detail).method, "handoff");
    });

    test("the main site's account page offers the clinic settings only to an active admin of a clinic that requires SSO", async () => {
      const offered = async (email: string) => {
        const client = t.client();
        assert.equal((await signInWithPasswordForm(client, t.main("/sign-in"), email)).status, 303);
        return (await client.get(t.main("/account"))).body.includes('action="/account/clinic-settings"');
      };
      const s = await enforcedClinic();
      assert.equal(await offered(s.admin), true);
      assert.equal(await offered(s.provider), false);
      const optional = await givenClinic(t, 5, "Open Door Care");
      const admin = `admin@${optional.subdomain}.example`;
      await givenMember(t, optional, { email: admin, name: "Oli Admin", role: "admin" });
      await connectTestIdp(t, optional);
      assert.equal(await offered(admin), false, "SSO that is not required leaves the clinic host's own sign-in open");
    });

    test("a hand-off token works once, within a minute, on its own clinic only, and only for admins", async () => {
      const s = await enforcedClinic();
      const other = await enforcedClinic();
      const issue = async (email: string) => {
        const client = t.client();
        await signInWithPasswordForm(client, t.main("/sign-in"), email);
        const account = await client.get(t.main("/account"));
        return { client, account, res: await client.postForm(t.main("/account/clinic-settings"), { _csrf: csrfFrom(account.body) }) };
      };
      const once = await issue(s.admin);
      assert.equal((await t.client().get(once.res.location!)).location, "/settings/sso");
      const replay = await t.client().get(once.res.location!);
      assert.equal(replay.status, 403);
      assert.match(replay.body, /This link has expired/);
      const late = await issue(s.admin);
      t.advanceClock(61_000);
      assert.equal((await t.client().get(late.res.location!)).status, 403);
      t.advanceClock(-61_000);
      const foreign = await issue(s.admin);
      const token = new URL(foreign.res.location!).searchParams.get("token")!;
      assert.equal((await t.client().get(t.clinicUrl(other.clinic.subdomain, `/sign-in/handoff?token=${token}`))).status, 403);
      const provider = await issue(s.provider);
      assert.doesNotMatch(provider.account.body, /Open clinic settings/);
      assert.equal(provider.res.status, 403);
    });

    test("recovery codes: shown once, stored hashed, each signs its admin in once with a reason, settings only", async () => {
      const s = await enforcedClinic();
      const codes = await generateCodes(s, s.admin);
      assert.equal(codes.length, 10);
      const stored = await t.db.selectFrom("recovery_codes").selectAll().where("clinic_id", "=", s.clinic.id).execute();
      assert.equal(stored.length, 10);
      for (const row of stored) assert.ok(!codes.some((c) => row.code_hash.includes(c.replace(/-/g, ""))), "only hashes are stored");
      // Typed in lower case with spaces: still the code.
      const { client, res } = await useCode(s, { email: s.admin, code: ` ${codes[0]!.toLowerCase().replace(/-/g, " ")} ` });
      assert.equal(res.status, 303);
      assert.equal(res.location, "/settings/sso");
      assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/api/v1/session"))).json().authMethod, "recovery_code");
      await refusesOutsideSettings(client, s.clinic.subdomain);
      const again = await useCode(s, { email: s.admin, code: codes[0]! });
      assert.equal(again.res.status, 401, "a code works once");
      assert.match(again.res.body, /do not match an admin of this clinic with an unused code/);
      assert.equal((await useCode(s, { email: s.admin, code: codes[1]! })).res.status, 303, "the next code works");
      const settings = await client.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.match(settings.body, /You have 8 unused recovery codes/);
    });

    test("a reason is required: without one nothing is checked, counted or spent", async () => {
      const s = await enforcedClinic();
      const [code] = await generateCodes(s, s.admin);
      for (const reason of ["", "   ", "because"]) {
        const { res } = await useCode(s, { email: s.admin, code: code!, reason });
        assert.equal(res.status, 400);
        assert.match(res.body, /Say why you need emergency access/);
      }
      assert.equal((await useCode(s, { email: s.admin, code: code! })).res.status, 303, "the code was not spent");
    });

    test("the use is audited with the reason, recorded in the SSO event log, and the session ends within the hour", async () => {
      const s = await enforcedClinic();
      const [code] = await generateCodes(s, s.admin);
      const { client } = await useCode(s, { email: s.admin, code: code! });
      const audit = await t.db
        .selectFrom("audit_events")
        .selectAll()
        .where("clinic_id", "=", s.clinic.id)
        .where("action", "=", "break_glass.used")
        .orderBy("at", "desc")
        .execute();
      const detail = JSON.parse(audit[0]!.detail);
      assert.deepEqual([detail.method, detail.reason, audit[0]!.target], ["recovery_code", REASON, s.admin]);
      const events = (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml/events`), t.operator)).json().events;
      const used = events.find((e: { code: string }) => e.code === "break_glass_used");
      assert.match(
        used.reason,
        new RegExp(`${s.admin} opened the clinic settings without single sign-on, with a recovery code .*reason given: ${REASON}`),
      );
      // Every other admin is told, with the reason; the admin who used the code is not told of their own use.
      const ids = Object.fromEntries(
        (await t.db.selectFrom("users").select(["id", "email"]).where("email", "in", [s.admin, s.otherAdmin]).execute()).map((u) => [
          u.email,
          u.id,
        ]),
      );
      const told = await listOpenNotifications(t.db, s.clinic.id, ids[s.otherAdmin]!);
      const notice = told.find((n) => n.notification.kind === "break_glass_used");
      assert.ok(notice, "the other admin has a notice");
      assert.deepEqual(notice.notification, {
        kind: "break_glass_used",
        userId: ids[s.admin],
        email: s.admin,
        name: "Ada Admin",
        reason: REASON,
      });
      assert.equal(
        (await listOpenNotifications(t.db, s.clinic.id, ids[s.admin]!)).filter((n) => n.notification.kind === "break_glass_used").length,
        0,
      );
      // Busy all along (well within the idle timeout), the session still ends an hour after it began.
      let moved = 0;
      const advance = (ms: number) => {
        t.advanceClock(ms);
        moved += ms;
      };
      try {
        for (const minutes of [20, 20, 19]) {
          advance(minutes * 60_000);
          assert.equal((await client.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"))).status, 200);
        }
        advance(2 * 60_000);
        const ended = await client.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
        assert.equal(ended.status, 303);
        assert.match(ended.location!, /^\/sign-in\?returnTo=/);
      } finally {
        // The test IdP signs with the real time: later tests need the app's clock back.
        t.advanceClock(-moved);
      }
    });

    test("wrong codes are throttled like passwords; another admin's code, or a demoted admin's, does not work", async () => {
      const s = await enforcedClinic();
      const [mine] = await generateCodes(s, s.admin);
      const [theirs] = await generateCodes(s, s.otherAdmin);
      assert.equal((await useCode(s, { email: s.admin, code: theirs! })).res.status, 401, "codes are per admin");
      const attacker = t.client("127.0.0.7");
      const statuses = [];
      for (let i = 0; i < 7; i++) statuses.push((await useCode(s, { email: s.otherAdmin, code: `WRONG-${i}` }, attacker)).res.status);
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429]);
      const throttled = await useCode(s, { email: s.otherAdmin, code: theirs! }, attacker);
      assert.equal(throttled.res.status, 429, "even the right code waits once throttled");
      assert.match(throttled.res.body, /Too many wrong recovery codes from your network/);
      await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${s.clinic.subdomain}/users/${encodeURIComponent(s.admin)}`),
          { role: "provider" },
          t.operator,
          "PATCH",
        );
      assert.equal((await useCode(s, { email: s.admin, code: mine! })).res.status, 401, "a demoted admin's codes no longer open anything");
    });
  });
}
