import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { humanLogStream } from "../src/log-lines.js";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, startTestApp, type TestApp } from "./support/harness.js";
import type { HttpResponse } from "./support/http-client.js";
import { connectTestIdp, latestSsoEvent, postToAcs } from "./support/saml-flow.js";

const GENERATED_ID = /^[0-9A-HJKMNP-TV-Z]{10}$/;

/** The app's human log, line by line, as a developer's terminal shows it. */
function capturedLog(): { lines: string[]; logger: { level: string; stream: Writable } } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  return { lines, logger: { level: "info", stream: humanLogStream(sink) } };
}

function idOf(res: HttpResponse): string {
  const id = res.headers["x-request-id"];
  assert.equal(typeof id, "string", "every answer names its request");
  return id as string;
}

function pageReference(res: HttpResponse): string | undefined {
  return /give them this reference: <span class="ref">([^<]+)<\/span>/.exec(res.body)?.[1];
}

/** Lets pino's stream flush what the request wrote. */
const logFlushed = () => new Promise((resolve) => setImmediate(resolve));

for (const dialect of testDialects()) {
  describe(`request ids (${dialect})`, () => {
    test("each answer carries its own id; an error page shows it as the reference, and each log line of the request shows it", async () => {
      const log = capturedLog();
      const t = await startTestApp(dialect, { logger: log.logger });
      try {
        const first = await t.client().get(t.main("/no/such/page"));
        const second = await t.client().get(t.main("/"));
        assert.match(idOf(first), GENERATED_ID);
        assert.match(idOf(second), GENERATED_ID);
        assert.notEqual(idOf(first), idOf(second));
        assert.equal(first.status, 404);
        assert.equal(pageReference(first), idOf(first));
        await logFlushed();
        const lines = log.lines.filter((line) => line.includes(`[${idOf(first)}]`));
        assert.equal(lines.length, 1, log.lines.join("\n"));
        assert.match(lines[0]!, /INFO {2}\[[0-9A-Z]{10}\] GET localhost:\d+\/no\/such\/page 404 \d+ms$/);
      } finally {
        await t.close();
      }
    });

    test("a fault's page shows the id of the request, and the log line of the fault carries it", async () => {
      const log = capturedLog();
      const t = await startTestApp(dialect, { logger: log.logger });
      try {
        const clinic = await givenClinic(t);
        await t.db.destroy();
        const res = await t.client().get(t.clinicUrl(clinic.subdomain, "/sign-in"));
        // A closed pool reads as an outage (503), a closed SQLite handle as a fault (500): both pages name the request.
        assert.ok(res.status === 500 || res.status === 503, String(res.status));
        assert.equal(pageReference(res), idOf(res));
        await logFlushed();
        const lines = log.lines.filter((line) => line.includes(`[${idOf(res)}]`));
        assert.ok(
          lines.some((line) => /(ERROR|WARN ) \[\w+\] (unexpected error|database unavailable)/.test(line)),
          log.lines.join("\n"),
        );
        assert.ok(lines.some((line) => / 50[03] \d+ms$/.test(line)));
      } finally {
        await t.close();
      }
    });

    test("a refused SSO sign-in shows the event's reference and the request's id; its log line carries both", async () => {
      const log = capturedLog();
      const t = await startTestApp(dialect, { logger: log.logger });
      try {
        const clinic = await givenClinic(t);
        await givenMember(t, clinic, { email: `nurse@${clinic.subdomain}.example` });
        const saml = await connectTestIdp(t, clinic);
        const response = await saml.idp.buildResponse({ spEntityId: saml.sp.entityId, acsUrl: saml.sp.acsUrl, email: "who@example.org" });
        const res = await postToAcs(t, t.client(), clinic.subdomain, response);
        assert.equal(res.status, 403);
        const event = await latestSsoEvent(t, clinic.subdomain);
        assert.equal(pageReference(res), event.reference);
        assert.ok(res.body.includes(`(request <span class="ref">${idOf(res)}</span>)`), res.body);
        await logFlushed();
        const refused = log.lines.find((line) => line.includes("saml sign-in refused"));
        assert.ok(refused?.includes(`[${idOf(res)}]`) && refused.includes(`reference=${event.reference}`), refused);
      } finally {
        await t.close();
      }
    });
  });

  describe(`an incoming X-Request-Id (${dialect})`, () => {
    const echoed = async (t: TestApp, id: string, from?: string) => idOf(await t.client(from).get(t.main("/"), { "x-request-id": id }));

    test("is ignored when no proxy is trusted: a client cannot name its own request", async () => {
      const t = await startTestApp(dialect);
      try {
        const id = await echoed(t, "client-chosen-id-1234");
        assert.match(id, GENERATED_ID);
      } finally {
        await t.close();
      }
    });

    test("is kept from a trusted proxy when it is a safe short token, and replaced when it is not", async () => {
      const t = await startTestApp(dialect, { env: { TRUST_PROXY: "1" } });
      try {
        assert.equal(await echoed(t, "0f9a6c2b8d7e4f1a9b3c5d7e9f1a2b3c"), "0f9a6c2b8d7e4f1a9b3c5d7e9f1a2b3c", "nginx's $request_id");
        assert.equal(await echoed(t, "7d3c1f0e-2b4a-4c6d-8e9f-0a1b2c3d4e5f"), "7d3c1f0e-2b4a-4c6d-8e9f-0a1b2c3d4e5f", "a UUID");
        for (const unsafe of ["<script>alert(1)</script>", "a b", "x".repeat(65), "-leading-dash", "ünïcode", ""]) {
          assert.match(await echoed(t, unsafe), GENERATED_ID, JSON.stringify(unsafe));
        }
      } finally {
        await t.close();
      }
    });

    test("is kept only from the proxy addresses TRUST_PROXY names", async () => {
      const t = await startTestApp(dialect, { env: { TRUST_PROXY: "127.0.0.2" } });
      try {
        assert.equal(await echoed(t, "from-our-proxy-42", "127.0.0.2"), "from-our-proxy-42");
        assert.match(await echoed(t, "from-elsewhere-42", "127.0.0.3"), GENERATED_ID);
      } finally {
        await t.close();
      }
    });
  });
}
