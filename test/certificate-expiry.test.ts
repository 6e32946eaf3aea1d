import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp } from "./support/saml-flow.js";

const DAY_MS = 86_400_000;

for (const dialect of testDialects()) {
  describe(`certificate expiry warnings (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    test("the admins are warned once at 60, 30 and 7 days before the certificate in use expires, on the dashboard and the SSO page", async () => {
      const clinic = await givenClinic(t, 5, "Riverside Practice");
      const email = `admin@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Ada Admin", role: "admin", roomName: `${clinic.subdomain}-ada` });
      const { idp } = await connectTestIdp(t, clinic);
      const notAfter = new Date(new X509Certificate(idp.certificatePem).validTo).getTime();
      const warnings = async () =>
        (
          await t.db
            .selectFrom("notifications")
            .select("detail")
            .where("clinic_id", "=", clinic.id)
            .where("kind", "=", "certificate_expiring")
            .orderBy("created_at")
            .execute()
        ).map((row) => (JSON.parse(row.detail) as { thresholdDays: number }).thresholdDays);
      /** Moves the app's clock to this many days (and a half) before the certificate expires, then runs the daily checks twice. */
      let moved = 0;
      const dailyChecksAt = async (daysLeft: number) => {
        const step = notAfter - (daysLeft + 0.5) * DAY_MS - (Date.now() + moved);
        t.advanceClock(step);
        moved += step;
        await t.app.runSsoUpkeep();
        // An admin dismissed what was shown: the same warning must not come back the next day.
        await t.db
          .updateTable("notifications")
          .set({ dismissed_at: new Date().toISOString() })
          .where("clinic_id", "=", clinic.id)
          .execute();
        await t.app.runSsoUpkeep();
      };

      await dailyChecksAt(61);
      assert.deepEqual(await warnings(), []);
      await dailyChecksAt(60);
      assert.deepEqual(await warnings(), [60]);
      await dailyChecksAt(45);
      assert.deepEqual(await warnings(), [60]);
      await dailyChecksAt(30);
      assert.deepEqual(await warnings(), [60, 30]);
      await dailyChecksAt(7);
      assert.deepEqual(await warnings(), [60, 30, 7]);
      await dailyChecksAt(1);
      assert.deepEqual(await warnings(), [60, 30, 7]);

      await t.db.updateTable("notifications").set({ dismissed_at: null }).where("clinic_id", "=", clinic.id).execute();
      const admin = t.client();
      await signInWithPasswordForm(admin, t.clinicUrl(clinic.subdomain, "/sign-in"), email);
      for (const page of ["/dashboard", "/settings/sso"]) {
        const body = (await admin.get(t.clinicUrl(clinic.subdomain, page))).body;
        assert.match(body, /data-notice="certificate_expiring"[^]*signing certificate expires in 7 days/, page);
        assert.match(
          body,
          /Upload your identity provider&#39;s new certificate before then|Upload your identity provider's new certificate/,
          page,
        );
      }
    });
  });
}
