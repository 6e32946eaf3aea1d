import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { generate } from "selfsigned";
import type { Clinic } from "../src/clinics/clinic.js";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { csrfFrom, type HttpClient, type UploadPart } from "./support/http-client.js";
import { postToAcs, startLogin } from "./support/saml-flow.js";
import { createTestIdp, type TestIdp } from "./support/test-idp.js";

const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
const NO_FILE: UploadPart = { filename: "", content: "" };
const der = (pem: string) => new X509Certificate(pem).raw;

/** A PKCS#12 file as IdP consoles export it: the certificate with its private key. */
async function pkcs12File(): Promise<Buffer> {
  const made = await generate([{ name: "commonName", value: "pfx.idp.test" }], { keySize: 2048, algorithm: "sha256" });
  const dir = mkdtempSync(join(tmpdir(), "pfx-"));
  try {
    writeFileSync(join(dir, "c.pem"), made.cert);
    writeFileSync(join(dir, "k.pem"), made.private);
    execFileSync("openssl", ["pkcs12", "-export", "-in", "c.pem", "-inkey", "k.pem", "-out", "x.pfx", "-passout", "pass:x"], { cwd: dir });
    return readFileSync(join(dir, "x.pfx"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const dialect of testDialects()) {
  describe(`uploading the IdP's files and removing the old certificate (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    interface Admin {
      clinic: Clinic;
      admin: HttpClient;
      idp: TestIdp;
      sp: { entityId: string; acsUrl: string };
      email: string;
    }

    async function givenAdmin(): Promise<Admin> {
      const clinic = await givenClinic(t, 5, "Harbour Clinic");
      const email = `admin@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Ada Admin", role: "admin" });
      const admin = t.client();
      assert.equal((await signInWithPasswordForm(admin, t.clinicUrl(clinic.subdomain, "/sign-in"), email)).status, 303);
      const idp = await createTestIdp({
        entityId: `https://idp.test/${clinic.subdomain}`,
        ssoUrl: `https://idp.test/${clinic.subdomain}/sso`,
      });
      const sp = { entityId: t.clinicUrl(clinic.subdomain, "/saml/metadata"), acsUrl: t.clinicUrl(clinic.subdomain, "/saml/acs") };
      return { clinic, admin, idp, sp, email };
    }

    async function csrf(a: Admin, path = "/settings/sso/connect"): Promise<string> {
      return csrfFrom((await a.admin.get(t.clinicUrl(a.clinic.subdomain, path))).body);
    }

    /** The connect form as the browser sends it: every field, both file inputs (chosen or not). */
    async function connect(a: Admin, fields: Record<string, string>, files: { metadataFile?: UploadPart; certificateFile?: UploadPart }) {
      const all: Record<string, string> = {
        preset: "okta",
        method: "manual",
        metadataUrl: "",
        metadataXml: "",
        idpSsoUrl: "",
        idpEntityId: "",
        certificate: "",
        ...fields,
      };
      return a.admin.postMultipart(t.clinicUrl(a.clinic.subdomain, "/settings/sso/connect"), [
        ["_csrf", await csrf(a)],
        ...Object.entries(all),
        ["metadataFile", files.metadataFile ?? NO_FILE],
        ["certificateFile", files.certificateFile ?? NO_FILE],
      ]);
    }

    const manual = (a: Admin) => ({ method: "manual", idpSsoUrl: a.idp.ssoUrl, idpEntityId: a.idp.entityId });

    async function connection(clinic: Clinic) {
      return t.db.selectFrom("saml_connections").selectAll().where("clinic_id", "=", clinic.id).executeTakeFirst();
    }

    async function trustedFingerprints(clinic: Clinic): Promise<string[]> {
      const row = await connection(clinic);
      return (JSON.parse(row!.idp_certificates) as string[]).map((pem) => new X509Certificate(pem).fingerprint256);
    }

    test("connects by uploading the IdP's metadata file", async () => {
      const a = await givenAdmin();
      const res = await connect(
        a,
        { method: "metadataXml" },
        { metadataFile: { filename: "okta-metadata.xml", content: `\ufeff${a.idp.metadataXml}`, type: "text/xml" } },
      );
      assert.equal(res.status, 303, textOf(res.body));
      const row = await connection(a.clinic);
      assert.equal(row?.idp_entity_id, a.idp.entityId);
      assert.equal(row?.enabled, 0, "saving never turns sign-in on");
    });

    test("connects with the SSO URL and a binary DER .cer certificate file, stored as the same certificate", async () => {
      const a = await givenAdmin();
      const res = await connect(a, manual(a), { certificateFile: { filename: "okta.cer", content: der(a.idp.certificatePem) } });
      assert.equal(res.status, 303, textOf(res.body));
      assert.deepEqual(await trustedFingerprints(a.clinic), [new X509Certificate(a.idp.certificatePem).fingerprint256]);
    });

    test("pasting the certificate keeps working beside the upload", async () => {
      const a = await givenAdmin();
      const res = await connect(a, { ...manual(a), certificate: a.idp.certificatePem }, {});
      assert.equal(res.status, 303, textOf(res.body));
    });

    test("refuses each wrong upload with a sentence, and stores nothing", async () => {
      const a = await givenAdmin();
      const pfx = await pkcs12File();
      const expired = await generate([{ name: "commonName", value: "old.idp.test" }], {
        keySize: 2048,
        algorithm: "sha256",
        notBeforeDate: new Date(Date.now() - 400 * 86_400_000),
        notAfterDate: new Date(Date.now() - 30 * 86_400_000),
      });
      const cert = (content: Buffer | string, filename = "idp.cer") => ({ certificateFile: { filename, content } });
      const cases: Array<[Record<string, string>, Parameters<typeof connect>[2], RegExp]> = [
        [manual(a), cert(""), /The file is empty\./],
        [manual(a), cert(Buffer.alloc(25_000, 0x41)), /The file is larger than any certificate \(20 KB\)\./],
        [manual(a), cert(Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])), /This file is not a certificate/],
        [
          manual(a),
          cert(pfx, "okta.pfx"),
          /This is a PKCS#12 \(\.pfx or \.p12\) file: it holds a private key\. Never upload a private key/,
        ],
        [manual(a), cert(der(expired.cert)), /The certificate "CN=old\.idp\.test" expired on/],
        [{ method: "metadataXml" }, { metadataFile: { filename: "metadata.xml", content: "hello" } }, /This file is not XML/],
        [
          { method: "metadataXml" },
          { metadataFile: { filename: "m.xml", content: a.idp.certificatePem } },
          /This is a certificate, not metadata/,
        ],
        [
          { method: "metadataXml" },
          { metadataFile: { filename: "m.xml", content: "<html>no</html>" } },
          /is it the identity provider's metadata\?/,
        ],
        [manual(a), { metadataFile: { filename: "m.xml", content: a.idp.metadataXml } }, /You chose a metadata file/],
        [
          { ...manual(a), certificate: a.idp.certificatePem },
          cert(der(a.idp.certificatePem)),
          /Give the certificate once: choose the file or paste it, not both\./,
        ],
      ];
      for (const [fields, files, expected] of cases) {
        const res = await connect(a, fields, files);
        assert.equal(res.status, 400, String(expected));
        assert.match(textOf(res.body), expected);
      }
      assert.equal(await connection(a.clinic), undefined, "nothing refused was stored");
    });

    test("the upload's limits: one file per input, no extra parts, and the CSRF token still checked", async () => {
      const a = await givenAdmin();
      const url = t.clinicUrl(a.clinic.subdomain, "/settings/sso/connect");
      const file: UploadPart = { filename: "okta.cer", content: der(a.idp.certificatePem) };
      const base: Array<[string, string | UploadPart]> = [
        ["method", "manual"],
        ["idpSsoUrl", a.idp.ssoUrl],
        ["idpEntityId", a.idp.entityId],
      ];
      const threeFiles = await a.admin.postMultipart(url, [
        ["_csrf", await csrf(a)],
        ...base,
        ["a", file],
        ["b", file],
        ["certificateFile", file],
      ]);
      assert.equal(threeFiles.status, 413);
      assert.match(textOf(threeFiles.body), /This form takes one file\. .*Nothing was saved\./);
      const extra = Array.from({ length: 9 }, (_, i): [string, string] => [`x${i}`, "1"]);
      const tooMany = await a.admin.postMultipart(url, [["_csrf", await csrf(a)], ...base, ...extra, ["certificateFile", file]]);
      assert.equal(tooMany.status, 413);
      assert.match(textOf(tooMany.body), /The form sent more fields than it has/);
      const twice = await a.admin.postMultipart(url, [["_csrf", await csrf(a)], ...base, ["method", "manual"], ["certificateFile", file]]);
      assert.equal(twice.status, 413);
      const noToken = await a.admin.postMultipart(url, [...base, ["certificateFile", file]]);
      assert.equal(noToken.status, 403);
      const wrongToken = await a.admin.postMultipart(url, [["_csrf", "forged"], ...base, ["certificateFile", file]]);
      assert.equal(wrongToken.status, 403);
      const garbled = await a.admin.send("POST", url, "--x\r\nContent-Disposition: form-data; name=", {
        "content-type": "multipart/form-data; boundary=x",
      });
      assert.equal(garbled.status, 400);
      assert.equal(await connection(a.clinic), undefined, "nothing was stored");
    });

    async function signIn(a: Admin, signer: TestIdp) {
      const client = t.client();
      const { requestId } = await startLogin(t, client, a.clinic);
      const response = await signer.buildResponse({
        spEntityId: a.sp.entityId,
        acsUrl: a.sp.acsUrl,
        email: a.email,
        inResponseTo: requestId,
        issuer: a.idp.entityId,
      });
      return postToAcs(t, client, a.clinic.subdomain, response);
    }

    test("rollover: both certificates work while both are trusted; the old one is refused once removed", async () => {
      const a = await givenAdmin();
      // Connected and on, as the operator API leaves it: real sign-ins, not tests.
      const put = await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${a.clinic.subdomain}/sso/saml`),
          { idpEntityId: a.idp.entityId, idpSsoUrl: a.idp.ssoUrl, idpCertificates: [a.idp.certificatePem], preset: "okta" },
          t.operator,
          "PUT",
        );
      assert.equal(put.status, 200, put.body);
      const next = await createTestIdp({ entityId: a.idp.entityId, ssoUrl: a.idp.ssoUrl });
      const staged = await a.admin.postMultipart(t.clinicUrl(a.clinic.subdomain, "/settings/sso/next-certificate"), [
        ["_csrf", await csrf(a, "/settings/sso")],
        ["certificateFile", { filename: "next.cer", content: der(next.certificatePem) }],
        ["certificate", ""],
      ]);
      assert.equal(staged.status, 303);
      const [oldFp, nextFp] = [a.idp, next].map((i) => new X509Certificate(i.certificatePem).fingerprint256);
      assert.deepEqual(await trustedFingerprints(a.clinic), [oldFp, nextFp]);

      assert.equal((await signIn(a, a.idp)).status, 303, "the old certificate works while trusted");
      assert.equal((await signIn(a, next)).status, 303, "the next certificate works while trusted");

      const page = (await a.admin.get(t.clinicUrl(a.clinic.subdomain, "/settings/sso"))).body;
      assert.match(textOf(page), /Remove the old certificate, make the next one current/);
      const removed = await a.admin.postForm(t.clinicUrl(a.clinic.subdomain, "/settings/sso/remove-certificate"), {
        _csrf: csrfFrom(page),
        fingerprint: oldFp!,
      });
      assert.equal(removed.status, 303);
      assert.match(textOf((await a.admin.get(t.clinicUrl(a.clinic.subdomain, "/settings/sso"))).body), /Removed the old certificate\./);
      assert.deepEqual(await trustedFingerprints(a.clinic), [nextFp]);
      assert.equal((await connection(a.clinic))?.enabled, 1, "sign-in stays on through the rollover");

      const refused = await signIn(a, a.idp);
      assert.notEqual(refused.status, 303, "the old certificate is refused once removed");
      assert.equal((await signIn(a, next)).status, 303, "the next, now current, certificate still works");

      const audit = await t.db
        .selectFrom("audit_events")
        .selectAll()
        .where("clinic_id", "=", a.clinic.id)
        .where("action", "=", "sso.saml.remove_certificate")
        .execute();
      assert.equal(audit.length, 1);
      assert.equal(audit[0]!.target, oldFp);
      const log = textOf((await a.admin.get(t.clinicUrl(a.clinic.subdomain, "/settings/sso/events?show=successes"))).body);
      assert.match(log, /Certificate removed/);
      assert.ok(log.includes(`removed the old certificate`) && log.includes(oldFp!.slice(0, 20)), "the SSO event names the certificate");
    });

    test("the last certificate cannot be removed, nor one the page no longer shows", async () => {
      const a = await givenAdmin();
      assert.equal((await connect(a, { ...manual(a), certificate: a.idp.certificatePem }, {})).status, 303);
      const fp = new X509Certificate(a.idp.certificatePem).fingerprint256;
      for (const [fingerprint, expected] of [
        [fp, /This is the only certificate: sign-in needs one\./],
        ["AA:BB", /That certificate is not trusted any more/],
      ] as const) {
        const res = await a.admin.postForm(t.clinicUrl(a.clinic.subdomain, "/settings/sso/remove-certificate"), {
          _csrf: await csrf(a, "/settings/sso"),
          fingerprint,
        });
        assert.equal(res.status, 303);
        assert.match(textOf((await a.admin.get(t.clinicUrl(a.clinic.subdomain, "/settings/sso"))).body), expected);
      }
      assert.deepEqual(await trustedFingerprints(a.clinic), [fp]);
    });
  });
}
