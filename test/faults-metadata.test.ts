import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { after, before, describe, test } from "node:test";
import type { Clinic } from "../src/clinics/clinic.js";
import { testDialects } from "./support/databases.js";
import type { HttpClient } from "./support/http-client.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { postToAcs, startLogin } from "./support/saml-flow.js";
import { createTestIdp, type TestIdp } from "./support/test-idp.js";

const GIB = 1024 * 1024 * 1024;

function idpMetadata(idp: TestIdp): string {
  const certificate = idp.certificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  return `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${idp.entityId}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${idp.ssoUrl}"/></md:IDPSSODescriptor></md:EntityDescriptor>`;
}

for (const dialect of testDialects()) {
  describe(`a metadata URL that hangs or returns garbage never delays a sign-in (${dialect})`, () => {
    let t: TestApp;
    let server: Server;
    let port = 0;
    /** What each clinic's metadata URL answers now, by path. */
    const answers = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
    before(async () => {
      t = await startTestApp(dialect);
      server = createServer((req, res) => (answers.get(req.url ?? "") ?? ((_, r) => r.writeHead(404).end()))(req, res));
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as { port: number }).port;
    });
    after(async () => {
      server.closeAllConnections();
      server.close();
      await t.close();
    });

    interface Setup {
      clinic: Clinic;
      idp: TestIdp;
      path: string;
      admin: HttpClient;
    }

    /** A clinic connected from its metadata URL, with an admin signed in and a provider who signs in with SSO. */
    async function connectedByMetadataUrl(): Promise<Setup> {
      const clinic = await givenClinic(t, 10, "Riverside Clinic");
      const idp = await createTestIdp({
        entityId: `https://idp.test/${clinic.subdomain}`,
        ssoUrl: `https://idp.test/${clinic.subdomain}/sso`,
      });
      const path = `/${clinic.subdomain}/metadata`;
      answers.set(path, (_req, res) => res.end(idpMetadata(idp)));
      const put = await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${clinic.subdomain}/sso/saml`),
          { metadataUrl: `http://127.0.0.1:${port}${path}`, jitProvisioning: true },
          t.operator,
          "PUT",
        );
      assert.equal(put.status, 200, put.body);
      const email = `admin@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Ada Admin", role: "admin", roomName: `${clinic.subdomain}-ada` });
      const admin = t.client();
      assert.equal((await signInWithPasswordForm(admin, t.clinicUrl(clinic.subdomain, "/sign-in"), email)).status, 303);
      return { clinic, idp, path, admin };
    }

    /** A complete SP-initiated sign-in: start, the IdP's signed answer, the ACS. */
    async function ssoSignIn(s: Setup, email: string) {
      const client = t.client();
      const { requestId } = await startLogin(t, client, s.clinic);
      const sp = { entityId: t.clinicUrl(s.clinic.subdomain, "/saml/metadata"), acsUrl: t.clinicUrl(s.clinic.subdomain, "/saml/acs") };
      const response = await s.idp.buildResponse({ spEntityId: sp.entityId, acsUrl: sp.acsUrl, email, inResponseTo: requestId });
      return postToAcs(t, client, s.clinic.subdomain, response);
    }

    /** Sign-ins while the metadata URL is being fetched: each completes. */
    async function assertSignInsComplete(s: Setup) {
      const answers = await Promise.all(["ana", "ben", "cy"].map((name) => ssoSignIn(s, `${name}@${s.clinic.subdomain}.example`)));
      assert.deepEqual(
        answers.map((res) => [res.status, res.location]),
        Array(3).fill([303, "/dashboard"]),
      );
    }

    /** The refresh changed nothing: the IdP settings are the ones the connection was made with. */
    async function assertConnectionUnchanged(s: Setup) {
      const connection = (await t.client().get(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml`), t.operator)).json();
      assert.equal(connection.idp.ssoUrl, s.idp.ssoUrl);
      assert.equal(connection.idp.certificates.length, 1);
      assert.equal((await ssoSignIn(s, `after@${s.clinic.subdomain}.example`)).status, 303);
      const pending = await t.db.selectFrom("saml_metadata_changes").select("id").where("clinic_id", "=", s.clinic.id).execute();
      assert.deepEqual(pending, []);
    }

    /** What the admin reads on the SSO settings page about the last check. */
    async function lastCheckShown(s: Setup): Promise<string> {
      const page = (await s.admin.get(t.clinicUrl(s.clinic.subdomain, "/settings/sso"))).body;
      return /could not be read: ([^<]*)/.exec(page)?.[1] ?? "(no failure shown)";
    }

    test("the daily refresh gives up on a URL that never answers, while sign-ins go through, and tells the admin", async () => {
      const s = await connectedByMetadataUrl();
      let closedByUs!: Promise<void>;
      const arrived = new Promise<void>((resolve) =>
        answers.set(s.path, (req) => {
          // Never answers: no status line, no byte. The socket stays open until the app hangs up.
          closedByUs = new Promise((closed) => req.socket.once("close", () => closed()));
          resolve();
        }),
      );
      const upkeep = t.app.runSsoUpkeep();
      await arrived;
      await assertSignInsComplete(s);
      await upkeep;
      await closedByUs;
      assert.equal(await lastCheckShown(s), "the metadata URL did not answer within 5 seconds. Your connection is unchanged.");
      await assertConnectionUnchanged(s);
    });

    test("slow redirects share the one time limit: two hops of 3 seconds each are given up on after 5 in all", async () => {
      const s = await connectedByMetadataUrl();
      // Each hop alone is within the limit; together they are not.
      const slowHop = (next: string) => (_req: IncomingMessage, res: ServerResponse) => {
        const timer = setTimeout(() => res.writeHead(302, { location: next }).end(), 3000);
        res.once("close", () => clearTimeout(timer));
      };
      answers.set(s.path, slowHop(`${s.path}/2`));
      answers.set(`${s.path}/2`, slowHop(`${s.path}/3`));
      answers.set(`${s.path}/3`, (_req, res) => res.end(idpMetadata(s.idp)));
      const outcome = (
        await t.client().postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml/metadata/refresh`), {}, t.operator)
      ).json();
      assert.deepEqual(outcome, { outcome: "failed", problem: "the metadata URL did not answer within 5 seconds" });
      await assertConnectionUnchanged(s);
    });

    test("a stream of a gigabyte is cut off at 1 MB, while sign-ins go through, and changes nothing", async () => {
      const s = await connectedByMetadataUrl();
      let sent = 0;
      let hungUp!: Promise<void>;
      const streaming = new Promise<void>((resolve) =>
        answers.set(s.path, (_req, res) => {
          hungUp = new Promise((closed) => res.once("close", () => closed()));
          res.writeHead(200, { "content-type": "application/samlmetadata+xml" });
          const chunk = Buffer.from("<md:EntityDescriptor>".padEnd(64 * 1024, " "));
          // Writes as fast as the reader takes it, up to 1 GiB, and stops when the reader hangs up.
          const pump = () => {
            while (sent < GIB && !res.destroyed) {
              sent += chunk.length;
              if (!res.write(chunk)) return void res.once("drain", pump);
            }
            if (!res.destroyed) res.end();
          };
          pump();
          resolve();
        }),
      );
      const refresh = t.client().postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml/metadata/refresh`), {}, t.operator);
      await streaming;
      await assertSignInsComplete(s);
      const outcome = (await refresh).json();
      assert.deepEqual(outcome, { outcome: "failed", problem: "the metadata URL returned more than 1 MB" });
      await hungUp;
      // The app stopped reading right after the limit: what was sent is the limit plus what the sockets buffered.
      assert.ok(sent < 64 * 1024 * 1024, `${sent} bytes were sent before the app hung up`);
      assert.equal(await lastCheckShown(s), "the metadata URL returned more than 1 MB. Your connection is unchanged.");
      await assertConnectionUnchanged(s);
    });

    test("random bytes for metadata are refused as such, while sign-ins go through, and change nothing", async () => {
      const s = await connectedByMetadataUrl();
      let release!: () => void;
      const arrived = new Promise<void>((resolve) =>
        answers.set(s.path, (_req, res) => {
          res.writeHead(200, { "content-type": "application/samlmetadata+xml" });
          res.write(randomBytes(4096));
          release = () => res.end(randomBytes(4096));
          resolve();
        }),
      );
      const refresh = t.client().postJson(t.main(`/api/v1/clinics/${s.clinic.subdomain}/sso/saml/metadata/refresh`), {}, t.operator);
      await arrived;
      await assertSignInsComplete(s);
      release();
      const outcome = (await refresh).json();
      assert.equal(outcome.outcome, "failed");
      assert.match(outcome.problem, /^the metadata (was refused|is not well-formed XML|has no EntityDescriptor)/);
      assert.match(
        await lastCheckShown(s),
        /^the metadata (was refused|is not well-formed XML|has no EntityDescriptor)[^]*Your connection is unchanged\.$/,
      );
      await assertConnectionUnchanged(s);
    });
  });
}
