import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import nodemailer from "nodemailer";
import { EmailNotifier } from "../src/notifications/email-notifier.js";
import { listOpenNotifications } from "../src/notifications/notification.queries.js";
import { DashboardNotifier } from "../src/notifications/notifier.js";
import { testDialects } from "./support/databases.js";
import { csrfFrom, type HttpClient } from "./support/http-client.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, type SamlClinic, signInThroughIdp } from "./support/saml-flow.js";
import { startSmtpSink, type ReceivedMail, type SmtpSink } from "./support/smtp-sink.js";

/** The readable text of a received message (quoted-printable soft breaks and escapes undone). */
function mailText(mail: ReceivedMail): string {
  return mail.raw
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
    .replace(/\r?\n\s/g, " ");
}

for (const dialect of testDialects()) {
  describe(`Notices for a clinic's admins (${dialect})`, () => {
    let t: TestApp;
    let sink: SmtpSink;
    const logs: string[] = [];
    before(async () => {
      sink = await startSmtpSink();
      const stream = new Writable({ write: (chunk, _enc, done) => (logs.push(String(chunk)), done()) });
      try {
        t = await startTestApp(dialect, {
          env: { SMTP_URL: sink.url, SMTP_FROM: "ClinicRooms <no-reply@clinics.test>" },
          logger: { level: "info", stream },
        });
      } catch (error) {
        // The app did not start: the sink is stopped here, or its open port would keep the test run alive.
        await sink.close();
        throw error;
      }
    });
    after(async () => {
      // Without an app, before failed and already stopped what it had started.
      if (!t) return;
      try {
        await t.close();
      } finally {
        await sink.close();
      }
    });

    /** A full clinic (its admins hold every seat) connected to a test IdP with JIT on. */
    async function fullClinic(): Promise<SamlClinic & { admins: string[] }> {
      const clinic = await givenClinic(t, 3, "Harbour Health");
      const admins = [`ada@${clinic.subdomain}.example`, `ben@${clinic.subdomain}.example`];
      for (const [i, email] of admins.entries()) {
        await givenMember(t, clinic, { email, name: `Admin ${i}`, role: "admin", roomName: `${clinic.subdomain}-a${i}` });
      }
      await givenMember(t, clinic, { email: `pat@${clinic.subdomain}.example`, role: "provider", roomName: `${clinic.subdomain}-p` });
      return { ...(await connectTestIdp(t, clinic, { jitProvisioning: true })), admins };
    }

    async function newcomerSignsIn(s: SamlClinic, email: string) {
      return signInThroughIdp(t, t.client(), s, { email });
    }

    async function signedIn(subdomain: string, email: string): Promise<HttpClient> {
      const client = t.client();
      const res = await signInWithPasswordForm(client, t.clinicUrl(subdomain, "/sign-in"), email);
      assert.equal(res.status, 303);
      return client;
    }

    test("a newcomer refused for lack of a seat: one notice on the admins' dashboard and SSO page, one log line without the person", async () => {
      const s = await fullClinic();
      sink.received.length = 0;
      const refused = await newcomerSignsIn(s, `new.one@${s.clinic.subdomain}.example`);
      assert.equal(refused.status, 403);
      // A second refusal while the notice is open adds no second notice (and no second email).
      assert.equal((await newcomerSignsIn(s, `new.two@${s.clinic.subdomain}.example`)).status, 403);

      const admin = await signedIn(s.clinic.subdomain, s.admins[0]!);
      const dashboard = await admin.get(t.clinicUrl(s.clinic.subdomain, "/dashboard"));
      assert.equal(dashboard.body.match(/data-notice="seats_exhausted"/g)?.length, 1);
      assert.match(dashboard.body, /All 3 seats are in use/);
      assert.match(
        dashboard.body,
        new RegExp(`new\\.one@${s.clinic.subdomain}\\.example signed in with single sign-on but could not be given an account`),
      );
      const settings = await admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      assert.match(settings.body, /data-notice="seats_exhausted"/);

      // Providers are not shown the clinic's notices.
      const provider = await signedIn(s.clinic.subdomain, `pat@${s.clinic.subdomain}.example`);
      assert.doesNotMatch((await provider.get(t.clinicUrl(s.clinic.subdomain, "/dashboard"))).body, /data-notice=/);

      const lines = logs.filter((l) => l.includes(`notification seats_exhausted for clinic ${s.clinic.subdomain}`));
      assert.equal(lines.length, 1);
      assert.ok(!logs.some((l) => l.includes(`new.one@${s.clinic.subdomain}`)), "the log never names the person");

      // Dismissed by one admin, gone for every admin.
      const id = /name="id" value="([^"]+)"/.exec(dashboard.body)![1]!;
      const dismissed = await admin.postForm(t.clinicUrl(s.clinic.subdomain, "/notifications/dismiss"), {
        _csrf: csrfFrom(dashboard.body),
        id,
        page: "/settings/sso",
      });
      assert.equal(dismissed.location, "/settings/sso");
      const other = await signedIn(s.clinic.subdomain, s.admins[1]!);
      assert.doesNotMatch((await other.get(t.clinicUrl(s.clinic.subdomain, "/dashboard"))).body, /data-notice=/);
    });

    test("with SMTP_URL each active admin gets the notice by email, once; providers do not", async () => {
      const s = await fullClinic();
      sink.received.length = 0;
      await newcomerSignsIn(s, `late.comer@${s.clinic.subdomain}.example`);
      await newcomerSignsIn(s, `later.comer@${s.clinic.subdomain}.example`);
      const mail = await sink.waitFor(2);
      // The second refusal found the first notice open: no second notice, so nothing more to email.
      const stored = await t.db.selectFrom("notifications").select("id").where("clinic_id", "=", s.clinic.id).execute();
      assert.equal(stored.length, 1);
      assert.deepEqual(
        mail
          .map((m) => m.to)
          .flat()
          .sort(),
        [...s.admins].sort(),
      );
      for (const m of mail) {
        assert.equal(m.from, "no-reply@clinics.test");
        const text = mailText(m);
        assert.match(text, /Subject: Harbour Health: All 3 seats are in use/);
        assert.match(text, new RegExp(`late\\.comer@${s.clinic.subdomain}\\.example`));
        assert.match(text, new RegExp(`${t.clinicUrl(s.clinic.subdomain, "/settings/users").replace(/[.?]/g, "\\$&")}`));
      }
    });

    test("a recovery code's use is told to every other admin, on the page and by email, never to its user, and each use is told", async () => {
      const s = await fullClinic();
      sink.received.length = 0;
      const [ada] = await t.db.selectFrom("users").select(["id", "email"]).where("email", "=", s.admins[0]!).execute();
      const log = { lines: [] as string[], info: (m: string) => log.lines.push(m), warn: (m: string) => log.lines.push(m) };
      const dashboard = new DashboardNotifier(log);
      const email = new EmailNotifier({
        transport: nodemailer.createTransport(sink.url),
        from: "ClinicRooms <no-reply@clinics.test>",
        clinicOrigin: (clinic) => t.clinicUrl(clinic.subdomain, "").replace(/\/$/, ""),
      });
      const used = { kind: "break_glass_used", userId: ada!.id, email: ada!.email, name: "Admin 0", reason: "Okta is down" } as const;
      for (const notifier of [dashboard, email]) await notifier.notify(t.db, s.clinic, used, new Date());
      await dashboard.notify(t.db, s.clinic, used, new Date());
      assert.equal((await listOpenNotifications(t.db, s.clinic.id, ada!.id)).length, 0);
      const [ben] = await t.db.selectFrom("users").select("id").where("email", "=", s.admins[1]!).execute();
      assert.equal((await listOpenNotifications(t.db, s.clinic.id, ben!.id)).length, 2);
      assert.deepEqual(sink.received.map((m) => m.to).flat(), [s.admins[1]]);
      assert.match(mailText(sink.received[0]!), /Their reason: "Okta is down"/);
      assert.ok(!log.lines.some((l) => l.includes("Okta is down")), "the reason is never logged");
    });
  });
}
