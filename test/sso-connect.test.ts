import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { inflateRawSync } from "node:zlib";
import { after, before, describe, test } from "node:test";
import { generate } from "selfsigned";
import type { Clinic } from "../src/clinics/clinic.js";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { csrfFrom, type HttpClient } from "./support/http-client.js";
import { postToAcs, idpResponse } from "./support/saml-flow.js";
import { createTestIdp, NAME_ID_UNSPECIFIED, type BuildResponseOptions, type TestIdp } from "./support/test-idp.js";

/** The page's words, as a person reads them: tags dropped, entities decoded, spaces collapsed. */
function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

interface AdminOnPage {
  clinic: Clinic;
  admin: HttpClient;
  idp: TestIdp;
  sp: { entityId: string; acsUrl: string };
  email: string;
}

for (const dialect of testDialects()) {
  describe(`clinic admins connect and test their IdP on the settings page (${dialect})`, () => {
    let t: TestApp;
    let otherIdp: TestIdp;
    before(async () => {
      t = await startTestApp(dialect);
      otherIdp = await createTestIdp({ entityId: "https://other-idp.test/metadata" });
    });
    after(() => t.close());

    async function csrfOf(client: HttpClient, subdomain: string, path = "/settings/sso"): Promise<string> {
      return csrfFrom((await client.get(t.clinicUrl(subdomain, path))).body);
    }

    async function connectForm(s: Pick<AdminOnPage, "admin" | "clinic">, fields: Record<string, string>) {
      const csrf = await csrfOf(s.admin, s.clinic.subdomain, "/settings/sso/connect");
      return s.admin.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/connect"), { _csrf: csrf, ...fields });
    }

    /** A clinic whose admin is signed in with a password and has connected a test IdP through the page. */
    async function givenAdminOnPage(preset = "okta"): Promise<AdminOnPage> {
      const clinic = await givenClinic(t, 5, "Lakeside Clinic");
      const email = `admin@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Ada Admin", role: "admin" });
      const admin = t.client();
      const signedIn = await signInWithPasswordForm(admin, t.clinicUrl(clinic.subdomain, "/sign-in"), email);
      assert.equal(signedIn.status, 303);
      const idp = await createTestIdp({
        entityId: `https://idp.test/${clinic.subdomain}`,
        ssoUrl: `https://idp.test/${clinic.subdomain}/sso`,
      });
      const saved = await connectForm(
        { admin, clinic },
        { preset, method: "manual", idpSsoUrl: idp.ssoUrl, idpEntityId: idp.entityId, certificate: idp.certificatePem },
      );
      assert.equal(saved.status, 303, textOf(saved.body));
      const sp = { entityId: t.clinicUrl(clinic.subdomain, "/saml/metadata"), acsUrl: t.clinicUrl(clinic.subdomain, "/saml/acs") };
      return { clinic, admin, idp, sp, email };
    }

    /** Presses "Test sign-in" (or the rehearsal) and returns the test AuthnRequest's ID. */
    async function startTest(s: AdminOnPage, certificates: "current" | "next" = "current"): Promise<string> {
      const csrf = await csrfOf(s.admin, s.clinic.subdomain);
      const res = await s.admin.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/test"), { _csrf: csrf, certificates });
      assert.equal(res.status, 303, textOf(res.body));
      const url = new URL(res.location!);
      assert.equal(`${url.origin}${url.pathname}`, s.idp.ssoUrl);
      const request = inflateRawSync(Buffer.from(url.searchParams.get("SAMLRequest")!, "base64")).toString("utf8");
      return /ID="([^"]+)"/.exec(request)![1]!;
    }

    async function runTest(
      s: AdminOnPage,
      options: Partial<BuildResponseOptions> = {},
      signer: TestIdp = s.idp,
      certificates: "current" | "next" = "current",
    ) {
      const requestId = await startTest(s, certificates);
      const response = await signer.buildResponse({
        spEntityId: s.sp.entityId,
        acsUrl: s.sp.acsUrl,
        email: s.email,
        inResponseTo: requestId,
        issuer: s.idp.entityId,
        ...options,
      });
      const res = await postToAcs(t, s.admin, s.clinic.subdomain, response);
      assert.equal(res.status, 200);
      return textOf(res.body);
    }

    async function connection(clinic: Clinic) {
      return t.db.selectFrom("saml_connections").selectAll().where("clinic_id", "=", clinic.id).executeTakeFirstOrThrow();
    }

    async function pageNotice(s: AdminOnPage): Promise<string> {
      return textOf((await s.admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"))).body);
    }

    test("saving the IdP side on the page leaves single sign-on off until it is tested", async () => {
      const s = await givenAdminOnPage();
      assert.equal((await connection(s.clinic)).enabled, 0);
      assert.match(await pageNotice(s), /Run a test sign-in, then turn single sign-on on\./);
    });

    test("a passing test sign-in shows the attributes received and creates nothing", async () => {
      const s = await givenAdminOnPage();
      await t.client().postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`), { jitProvisioning: true }, t.operator, "PATCH");
      const newcomer = `newcomer@${s.clinic.subdomain}.example`;
      const count = async (table: "users" | "sessions" | "memberships" | "saml_assertions_seen") =>
        Number(
          (
            await t.db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<string>().as("n"))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = { users: await count("users"), sessions: await count("sessions"), seen: await count("saml_assertions_seen") };
      const page = await runTest(s, { email: newcomer, attributes: { email: newcomer, firstName: "Nell" } });
      assert.match(page, /The test sign-in worked/);
      assert.match(page, new RegExp(`Your identity provider vouched for ${newcomer}`));
      assert.match(page, /firstName Nell/);
      assert.match(page, /create their account \(just-in-time provisioning\)/);
      assert.doesNotMatch(page, /SignatureValue|<saml|X509Certificate/);
      assert.deepEqual(
        { users: await count("users"), sessions: await count("sessions"), seen: await count("saml_assertions_seen") },
        before,
      );
      const row = await connection(s.clinic);
      assert.equal(row.enabled, 0, "a test never turns the connection on");
      assert.equal(row.last_success_at, null, "a test is not a real sign-in");
      assert.notEqual(row.tested_settings, null);
    });

    test("a test request's answer never signs anyone in, even without the Response's InResponseTo", async () => {
      const s = await givenAdminOnPage();
      await t.client().postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`), { enabled: true }, t.operator, "PATCH");
      const requestId = await startTest(s);
      const signed = await idpResponse(s, { email: s.email, inResponseTo: requestId, signing: "assertion" });
      // The unsigned Response-level InResponseTo is gone: the signed assertion's still names the test, and a test is what runs.
      const stripped = Buffer.from(
        Buffer.from(signed, "base64")
          .toString("utf8")
          .replace(/(<samlp:Response[^>]*?) InResponseTo="[^"]*"/, "$1"),
        "utf8",
      ).toString("base64");
      const sessionsBefore = await t.db.selectFrom("sessions").select("id").execute();
      const res = await postToAcs(t, s.admin, s.clinic.subdomain, stripped);
      assert.equal(res.status, 200);
      assert.match(textOf(res.body), /The test sign-in worked/);
      assert.deepEqual(await t.db.selectFrom("sessions").select("id").execute(), sessionsBefore, "no session was opened");
      assert.equal((await connection(s.clinic)).last_success_at, null);
    });

    const diagnoses: Array<{
      name: string;
      preset?: string;
      options: (s: AdminOnPage) => Partial<BuildResponseOptions>;
      signer?: "other";
      expect: (s: AdminOnPage) => RegExp[];
    }> = [
      {
        name: "wrong audience",
        options: () => ({ audience: "https://wrong.example/sp" }),
        expect: (s) => [
          new RegExp(`Okta sent Audience https://wrong\\.example/sp; we expect ${escape(s.sp.entityId)}`),
          new RegExp(`Set Audience URI \\(SP Entity ID\\) to ${escape(s.sp.entityId)}`),
        ],
      },
      {
        name: "wrong recipient",
        preset: "entra",
        options: () => ({ recipient: "https://wrong.example/acs" }),
        expect: (s) => [
          /Entra sent Recipient https:\/\/wrong\.example\/acs/,
          new RegExp(`Set Reply URL \\(Assertion Consumer Service URL\\) to ${escape(s.sp.acsUrl)}`),
        ],
      },
      {
        name: "wrong destination",
        options: () => ({ destination: "https://wrong.example/acs" }),
        expect: () => [/Okta sent Destination https:\/\/wrong\.example\/acs/, /Use this for Recipient URL and Destination URL/],
      },
      {
        name: "unknown certificate",
        options: () => ({}),
        signer: "other",
        expect: (s) => [
          new RegExp(
            `Signed by a certificate you have not uploaded: its SHA-256 fingerprint is ${fingerprint(otherIdp)}, yours is ${fingerprint(s.idp)}`,
          ),
        ],
      },
      {
        name: "SHA-1",
        preset: "auth0",
        options: () => ({ signing: "assertion", signatureAlgorithm: "sha1" }),
        expect: () => [
          /Signed with SHA-1/,
          /[Ii]n Auth0's SAML2 add-on set signatureAlgorithm to rsa-sha256 and digestAlgorithm to sha256/,
        ],
      },
      {
        name: "missing email",
        preset: "entra",
        options: () => ({
          nameId: "7f3c9a",
          nameIdFormat: NAME_ID_UNSPECIFIED,
          attributes: { "http://schemas.microsoft.com/identity/claims/objectidentifier": "7f3c9a" },
        }),
        expect: () => [
          /No email: Entra sent NameID 7f3c9a .* these claims: http:\/\/schemas\.microsoft\.com\/identity\/claims\/objectidentifier/,
          /map user\.mail to the Unique User Identifier/,
        ],
      },
      {
        name: "expired (the IdP's clock 20 minutes behind)",
        options: () => ({ now: new Date(Date.now() - 20 * 60_000) }),
        expect: () => [/Your IdP's clock is 20 minutes behind ours\. The response had expired/],
      },
      {
        name: "clock skew (the IdP's clock 6 minutes ahead)",
        options: () => ({ now: new Date(Date.now() + 6 * 60_000) }),
        expect: () => [/Your IdP's clock is 6 minutes ahead of ours\. The response is not valid yet/],
      },
      {
        name: "wrong issuer",
        options: () => ({ issuer: "https://someone-else.test/idp" }),
        expect: (s) => [
          new RegExp(`Okta sent Issuer https://someone-else\\.test/idp; this connection expects ${escape(s.idp.entityId)}`),
          /Identity Provider Issuer/,
        ],
      },
      {
        name: "unsigned",
        options: () => ({ signing: "none" }),
        expect: () => [/The response is not signed/, /set Response and Assertion Signature to Signed/],
      },
    ];
    for (const d of diagnoses) {
      test(`the test sign-in diagnoses: ${d.name}`, async () => {
        const s = await givenAdminOnPage(d.preset);
        const page = await runTest(s, d.options(s), d.signer === "other" ? otherIdp : s.idp);
        assert.match(page, /The test sign-in failed/);
        for (const expected of d.expect(s)) assert.match(page, expected);
        // The event log carries the same reason and the same fix.
        const log = textOf((await s.admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso/events?show=failures"))).body);
        assert.match(log, /Test sign-in:/);
        const fix = /How to fix: ([^.]+)/.exec(page)![1]!;
        assert.ok(log.includes(fix), `the log gives the fix "${fix}"`);
      });
    }

    test("turning single sign-on on needs a passing test with the current settings", async () => {
      const s = await givenAdminOnPage();
      const turnOn = async () =>
        s.admin.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/enabled"), {
          _csrf: await csrfOf(s.admin, s.clinic.subdomain),
          value: "on",
        });
      await turnOn();
      assert.match(await pageNotice(s), /only after a test sign-in passes/);
      assert.equal((await connection(s.clinic)).enabled, 0);
      await runTest(s, { audience: "https://wrong.example/sp" });
      await turnOn();
      assert.equal((await connection(s.clinic)).enabled, 0, "a failed test proves nothing");
      assert.match(await runTest(s), /The test sign-in worked/);
      await turnOn();
      assert.equal((await connection(s.clinic)).enabled, 1);
      // New settings (another certificate) were never tested: saving switches off, and on waits for a new test.
      const saved = await connectForm(s, {
        preset: "okta",
        method: "manual",
        idpSsoUrl: s.idp.ssoUrl,
        idpEntityId: s.idp.entityId,
        certificate: otherIdp.certificatePem,
      });
      assert.equal(saved.status, 303);
      assert.equal((await connection(s.clinic)).enabled, 0);
      await turnOn();
      assert.equal((await connection(s.clinic)).enabled, 0);
    });

    test("the rollover rehearsal accepts only the staged next certificate", async () => {
      const s = await givenAdminOnPage();
      const next = await createTestIdp({ entityId: s.idp.entityId, ssoUrl: s.idp.ssoUrl });
      const staged = await s.admin.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/next-certificate"), {
        _csrf: await csrfOf(s.admin, s.clinic.subdomain),
        certificate: next.certificatePem,
      });
      assert.equal(staged.status, 303);
      const page = (await pageNotice(s)).replace(/: /g, ":");
      assert.match(page, /Staged the next certificate/);
      assert.match(
        page,
        new RegExp(`Current certificate .*${fingerprint(s.idp).slice(0, 20)}.*Next certificate .*${fingerprint(next).slice(0, 20)}`),
      );
      const withCurrent = await runTest(s, {}, s.idp, "next");
      assert.match(withCurrent, /The rollover rehearsal failed/);
      assert.match(withCurrent, new RegExp(`its SHA-256 fingerprint is ${fingerprint(s.idp)}, yours is ${fingerprint(next)}`));
      assert.match(await runTest(s, {}, next, "next"), /The rollover rehearsal worked/);
      assert.equal((await connection(s.clinic)).tested_settings, null, "a rehearsal does not stand for a test of the connection as saved");
    });

    test("the connect form answers each wrong thing with a sentence", async () => {
      const s = await givenAdminOnPage();
      const expired = await generate([{ name: "commonName", value: "old.idp.test" }], {
        keySize: 2048,
        algorithm: "sha256",
        notBeforeDate: new Date(Date.now() - 400 * 86_400_000),
        notAfterDate: new Date(Date.now() - 30 * 86_400_000),
      });
      const ownMetadata = (await t.client().get(t.clinicUrl(s.clinic.subdomain, "/saml/metadata"))).body;
      const manual = { preset: "entra", method: "manual", idpSsoUrl: s.idp.ssoUrl, idpEntityId: s.idp.entityId };
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ ...manual, certificate: "hello there" }, /not valid base64|could not be read as X\.509/],
        [{ ...manual, certificate: expired.cert }, /The certificate "CN=old\.idp\.test" expired on/],
        [{ preset: "okta", method: "metadataXml", metadataXml: ownMetadata }, /is it the identity provider's metadata\?/],
        [
          {
            preset: "okta",
            method: "metadataXml",
            metadataXml: s.idp.metadataXml.replace(
              /<\/((?:md:)?)IDPSSODescriptor>/,
              '<ds:SignatureMethod xmlns:ds="http://www.w3.org/2000/09/xmldsig#" Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/></$1IDPSSODescriptor>',
            ),
          },
          /uses SHA-1/,
        ],
        [
          { ...manual, idpSsoUrl: "https://login.microsoftonline.com/0c5f/federationmetadata/2007-06/federationmetadata.xml?appid=1" },
          /This is Entra's "App Federation Metadata Url", not the SSO URL/,
        ],
        [{ ...manual, idpSsoUrl: "ftp://idp.test/sso", certificate: s.idp.certificatePem }, /Login URL must start with https:\/\//],
      ];
      for (const [fields, expected] of cases) {
        const res = await connectForm(s, fields);
        assert.equal(res.status, 400, JSON.stringify(fields).slice(0, 80));
        assert.match(textOf(res.body), expected);
      }
      assert.equal((await connection(s.clinic)).idp_entity_id, s.idp.entityId, "nothing refused was saved");
    });

    test("a pasted response gets the same diagnosis, within a size limit, and is never stored", async () => {
      const s = await givenAdminOnPage();
      const events = async () =>
        Number(
          (
            await t.db
              .selectFrom("sso_events")
              .select((eb) => eb.fn.countAll<string>().as("n"))
              .where("clinic_id", "=", s.clinic.id)
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = await events();
      const paste = async (samlResponse: string) =>
        s.admin.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/diagnose"), {
          _csrf: await csrfOf(s.admin, s.clinic.subdomain, "/settings/sso/diagnose"),
          samlResponse,
        });
      const wrong = await idpResponse(s, { email: s.email, audience: "https://wrong.example/sp" });
      const diagnosed = await paste(wrong);
      assert.equal(diagnosed.status, 200);
      assert.match(textOf(diagnosed.body), /The pasted response failed .*Okta sent Audience https:\/\/wrong\.example\/sp/);
      const good = await paste(await idpResponse(s, { email: s.email }));
      assert.match(textOf(good.body), /The pasted response worked/);
      const tooLong = await paste("A".repeat(200_001));
      assert.equal(tooLong.status, 413);
      assert.match(textOf(tooLong.body), /a SAMLResponse is at most 200,000/);
      assert.equal(await events(), before, "a pasted response leaves no event");
      assert.equal((await connection(s.clinic)).tested_settings, null, "a pasted response is not a test of the connection");
    });

    test("the sign-in log filters by outcome, reason and week, and pages", async () => {
      const s = await givenAdminOnPage();
      const { recordSsoEvent } = await import("../src/sso/saml/sso-events.js");
      const at = (daysAgo: number, i: number) => new Date(Date.now() - daysAgo * 86_400_000 - i * 1000);
      for (let i = 0; i < 27; i += 1) {
        const code = i % 3 === 0 ? "wrong_audience" : "expired";
        await recordSsoEvent(
          t.db,
          s.clinic.id,
          {
            at: at(1, i).toISOString(),
            outcome: "failure",
            code,
            reason: `reason ${i}`,
            email: null,
            reference: `REF${i}`,
            ip: "127.0.0.1",
            signatureVerified: true,
          },
          new Date(),
        );
      }
      await recordSsoEvent(
        t.db,
        s.clinic.id,
        {
          at: at(9, 0).toISOString(),
          outcome: "success",
          code: "signed_in",
          reason: "old success",
          email: s.email,
          reference: "OLDREF",
          ip: "127.0.0.1",
          signatureVerified: true,
        },
        new Date(),
      );
      const log = async (query: string) =>
        textOf((await s.admin.get(t.clinicUrl(s.clinic.subdomain, `/settings/sso/events?${query}`))).body);
      const audience = await log("show=failure:wrong_audience&days=7");
      assert.equal((audience.match(/reason \d+/g) ?? []).length, 9);
      assert.match(audience, /Set Audience URI \(SP Entity ID\) to the Audience URI on this page/);
      assert.doesNotMatch(await log("show=successes&days=7"), /old success/);
      assert.match(await log("show=successes&days=all"), /old success/);
      const first = await log("show=failures&days=7");
      assert.equal((first.match(/reason \d+/g) ?? []).length, 25);
      assert.match(first, /Older/);
      const second = await log("show=failures&days=7&page=2");
      assert.equal((second.match(/reason \d+/g) ?? []).length, 2);
      assert.match(await log("reference=REF4"), /reason 4 /);
    });

    test("a person whose sign-in fails sees a sentence and the reference; an admin also gets the diagnosis link", async () => {
      const s = await givenAdminOnPage();
      assert.match(await runTest(s), /worked/);
      await s.admin.postForm(t.clinicUrl(s.clinic.subdomain, "/settings/sso/enabled"), {
        _csrf: await csrfOf(s.admin, s.clinic.subdomain),
        value: "on",
      });
      const provider = `provider@${s.clinic.subdomain}.example`;
      await givenMember(t, s.clinic, { email: provider, name: "Pia Provider" });
      for (const [email, link] of [
        [s.email, /See the diagnosis \(clinic admins\)/],
        [provider, /Back to sign-in/],
      ] as const) {
        // Started in one browser, posted from another: refused after the signature vouched for the person.
        const starter = t.client();
        const start = await starter.get(t.clinicUrl(s.clinic.subdomain, "/saml/login"));
        const requestId = /ID="([^"]+)"/.exec(
          inflateRawSync(Buffer.from(new URL(start.location!).searchParams.get("SAMLRequest")!, "base64")).toString("utf8"),
        )![1]!;
        const response = await idpResponse(s, { email, inResponseTo: requestId });
        const res = await postToAcs(t, t.client(), s.clinic.subdomain, response);
        assert.equal(res.status, 403);
        const text = textOf(res.body);
        assert.match(text, /give them this reference: \w+/);
        assert.match(text, link);
        if (email === s.email) {
          const reference = /reference: (\w+)/.exec(text)![1]!;
          assert.ok(res.body.includes(`/settings/sso/events?reference=${reference}`));
        }
      }
    });
  });
}

function fingerprint(idp: TestIdp): string {
  return new X509Certificate(idp.certificatePem).fingerprint256;
}

function escape(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
