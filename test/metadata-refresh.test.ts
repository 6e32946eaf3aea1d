import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { testDialects } from "./support/databases.js";
import { csrfFrom, type HttpClient } from "./support/http-client.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { signInThroughIdp } from "./support/saml-flow.js";
import { createTestIdp, type TestIdp } from "./support/test-idp.js";
import { idpMetadataXml as idpMetadata, startIdpMetadataHost, type IdpMetadataHost } from "./support/idp-metadata-host.js";
import type { Clinic } from "../src/clinics/clinic.js";

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

for (const dialect of testDialects()) {
  describe(`IdP metadata re-fetched and changes approved (${dialect})`, () => {
    let t: TestApp;
    /** Each clinic's metadata URL is a path on this host. */
    let host: IdpMetadataHost;
    before(async () => {
      host = await startIdpMetadataHost();
      t = await startTestApp(dialect);
    });
    after(async () => {
      await host.close();
      await t?.close();
    });

    interface Setup {
      clinic: Clinic;
      idp: TestIdp;
      nextIdp: TestIdp;
      path: string;
      admin: HttpClient;
      serve(xml: string): void;
    }

    /** A clinic connected through its metadata URL (JIT on), with a signed-in admin. */
    async function connectedByMetadataUrl(): Promise<Setup> {
      const clinic = await givenClinic(t, 10, "Bayview Clinic");
      const idp = await createTestIdp({
        entityId: `https://idp.test/${clinic.subdomain}`,
        ssoUrl: `https://idp.test/${clinic.subdomain}/sso`,
      });
      // The IdP's next signing key: same IdP, a new certificate.
      const nextIdp = await createTestIdp({ entityId: idp.entityId, ssoUrl: idp.ssoUrl });
      const path = `/${clinic.subdomain}/metadata`;
      const serve = (xml: string) => host.serve(path, xml);
      serve(idpMetadata(idp.entityId, idp.ssoUrl, [idp.certificatePem]));
      const put = await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`),
          { metadataUrl: host.url(path), jitProvisioning: true },
          t.operator,
          "PUT",
        );
      assert.equal(put.status, 200, put.body);
      const email = `admin@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Ada Admin", role: "admin", roomName: `${clinic.subdomain}-ada` });
      const admin = t.client();
      assert.equal((await signInWithPasswordForm(admin, t.clinicUrl(clinic.subdomain, "/sign-in"), email)).status, 303);
      return { clinic, idp, nextIdp, path, admin, serve };
    }

    async function ssoSignIn(s: Setup, signer: TestIdp, email = `nurse@${s.clinic.subdomain}.example`) {
      const sp = { entityId: t.clinicUrl(s.clinic.subdomain, "/saml/metadata"), acsUrl: t.clinicUrl(s.clinic.subdomain, "/saml/acs") };
      return signInThroughIdp(t, t.client(), { clinic: s.clinic, idp: signer, sp }, { email });
    }

    async function adminPost(s: Setup, path: string, fields: Record<string, string> = {}) {
      const page = await s.admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"));
      return s.admin.postForm(t.clinicUrl(s.clinic.subdomain, path), { _csrf: csrfFrom(page.body), ...fields });
    }

    const connection = async (s: Setup) =>
      (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`), t.operator)).json().idp as {
        ssoUrl: string;
        certificates: Array<{ fingerprintSha256: string }>;
      };
    const settingsPage = async (s: Setup) => (await s.admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"))).body;
    const pendingChangeId = (body: string) => /name="change" value="([^"]+)"/.exec(body)?.[1] ?? null;
    const openNotices = (s: Setup) =>
      t.db.selectFrom("notifications").select("kind").where("clinic_id", "=", s.clinic.id).where("dismissed_at", "is", null).execute();

    test("a rotated certificate and a new SSO URL are shown as a diff, and nothing changes until an admin approves", async () => {
      const s = await connectedByMetadataUrl();
      const newSsoUrl = `https://idp.test/${s.clinic.subdomain}/sso-v2`;
      s.serve(idpMetadata(s.idp.entityId, newSsoUrl, [s.nextIdp.certificatePem]));

      assert.equal((await adminPost(s, "/settings/sso/metadata/check")).location, "/settings/sso#metadata-refresh");
      const page = await settingsPage(s);
      assert.match(page, /data-diff="sso-url"[^]*sso-v2/);
      assert.match(page, new RegExp(`data-diff="certificate-added"[^]*${fingerprintOf(s.nextIdp.certificatePem)}`));
      assert.match(page, new RegExp(`data-diff="certificate-removed"[^]*${fingerprintOf(s.idp.certificatePem)}`));
      assert.match(page, /data-notice="metadata_change_pending"/);

      // Nothing applied: the old certificate and URL still hold, the announced new key is not trusted yet.
      assert.equal((await connection(s)).ssoUrl, s.idp.ssoUrl);
      assert.deepEqual(
        (await connection(s)).certificates.map((c) => c.fingerprintSha256),
        [fingerprintOf(s.idp.certificatePem)],
      );
      assert.equal((await ssoSignIn(s, s.nextIdp)).status, 403);
      assert.equal((await ssoSignIn(s, s.idp)).status, 303);
      // The daily check finding the same difference again tells nobody twice.
      await adminPost(s, "/settings/sso/metadata/check");
      assert.deepEqual(await openNotices(s), [{ kind: "metadata_change_pending" }]);

      const approved = await adminPost(s, "/settings/sso/metadata/approve", { change: pendingChangeId(page)! });
      assert.equal(approved.status, 303, approved.body);
      assert.equal((await connection(s)).ssoUrl, newSsoUrl);
      assert.deepEqual(
        (await connection(s)).certificates.map((c) => c.fingerprintSha256),
        [fingerprintOf(s.nextIdp.certificatePem)],
      );
      assert.equal((await ssoSignIn(s, s.nextIdp)).status, 303);
      assert.equal((await ssoSignIn(s, s.idp)).status, 403);
      assert.equal(pendingChangeId(await settingsPage(s)), null);
    });

    test("a rejected change leaves the connection as it was and is not raised again until the metadata says something else", async () => {
      const s = await connectedByMetadataUrl();
      s.serve(idpMetadata(s.idp.entityId, s.idp.ssoUrl, [s.idp.certificatePem, s.nextIdp.certificatePem]));
      await adminPost(s, "/settings/sso/metadata/check");
      const changeId = pendingChangeId(await settingsPage(s))!;
      assert.equal((await adminPost(s, "/settings/sso/metadata/reject", { change: changeId })).status, 303);
      assert.equal((await connection(s)).certificates.length, 1);
      assert.equal(pendingChangeId(await settingsPage(s)), null);

      const refresh = () => t.client().postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml/metadata/refresh`), {}, t.operator);
      assert.equal((await refresh()).json().outcome, "rejected_before");
      assert.equal(pendingChangeId(await settingsPage(s)), null);
      // A decided change cannot be approved afterwards.
      assert.equal((await adminPost(s, "/settings/sso/metadata/approve", { change: changeId })).status, 409);
      assert.equal((await connection(s)).certificates.length, 1);

      s.serve(idpMetadata(s.idp.entityId, `${s.idp.ssoUrl}/v3`, [s.idp.certificatePem]));
      const again = (await refresh()).json();
      assert.equal(again.outcome, "change_pending");
      assert.deepEqual(again.differences, [`SSO URL ${s.idp.ssoUrl} → ${s.idp.ssoUrl}/v3`]);
    });

    test("a change is not applied once the connection it was compared with has changed", async () => {
      const s = await connectedByMetadataUrl();
      s.serve(idpMetadata(s.idp.entityId, `${s.idp.ssoUrl}/v2`, [s.idp.certificatePem]));
      await adminPost(s, "/settings/sso/metadata/check");
      const changeId = pendingChangeId(await settingsPage(s))!;
      // Meanwhile the operator connects the clinic to its IdP by hand, with the next certificate.
      const put = await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`),
          { idpEntityId: s.idp.entityId, idpSsoUrl: s.idp.ssoUrl, idpCertificates: [s.nextIdp.certificatePem] },
          t.operator,
          "PUT",
        );
      assert.equal(put.status, 200, put.body);
      const approved = await adminPost(s, "/settings/sso/metadata/approve", { change: changeId });
      assert.equal(approved.status, 409);
      assert.match(approved.body, /Your connection changed since this was found/);
      assert.equal((await connection(s)).ssoUrl, s.idp.ssoUrl);
    });

    test("while single sign-on is required, a change replacing the proven certificate is refused with the way out", async () => {
      const s = await connectedByMetadataUrl();
      assert.equal((await ssoSignIn(s, s.idp)).status, 303);
      const enforce = await t
        .client()
        .postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`), { enforceSso: true }, t.operator, "PATCH");
      assert.equal(enforce.status, 200, enforce.body);
      s.serve(idpMetadata(s.idp.entityId, s.idp.ssoUrl, [s.nextIdp.certificatePem]));
      await adminPost(s, "/settings/sso/metadata/check");
      const approved = await adminPost(s, "/settings/sso/metadata/approve", { change: pendingChangeId(await settingsPage(s))! });
      assert.equal(approved.status, 409);
      assert.match(approved.body, /Turn off Require single sign-on, approve, sign in once/);
      assert.deepEqual(
        (await connection(s)).certificates.map((c) => c.fingerprintSha256),
        [fingerprintOf(s.idp.certificatePem)],
      );
    });

    test("a metadata URL that never answers does not hold up a sign-in, and garbage changes nothing", async () => {
      const s = await connectedByMetadataUrl();
      let release: (body: string) => void = () => undefined;
      const arrived = new Promise<void>((resolve) =>
        host.answer(s.path, (_req, res) => {
          release = (body) => res.end(body);
          resolve();
        }),
      );
      const refresh = t.client().postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml/metadata/refresh`), {}, t.operator);
      await arrived;
      // The re-fetch is now stuck waiting on the IdP's server: sign-in goes on regardless.
      const signedIn = await ssoSignIn(s, s.idp);
      assert.equal(signedIn.status, 303);
      assert.equal(signedIn.location, "/dashboard");
      release("<html>this is not metadata");
      const outcome = (await refresh).json();
      assert.equal(outcome.outcome, "failed");
      assert.match(outcome.problem, /not well-formed XML|no EntityDescriptor/);
      assert.equal((await connection(s)).ssoUrl, s.idp.ssoUrl);
      assert.match(
        await settingsPage(s),
        /data-outcome="failed"[^]*could not be read: the metadata (is not well-formed XML|has no EntityDescriptor)/,
      );
    });
  });
}
