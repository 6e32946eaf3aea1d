import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { testDialects } from "./support/databases.js";
import { givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { connectTestIdp, latestSsoEvent, postToAcs } from "./support/saml-flow.js";

const METRICS_TOKEN = "metrics-scraper-token-0123456789abcdefghij";
const SCRAPER = { authorization: `Bearer ${METRICS_TOKEN}` };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parseExposition(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line && !line.startsWith("#"))
    .map((line) => {
      const [, name = "", labelText = "", value = ""] = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line) ?? [];
      const labels = Object.fromEntries([...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      return { name, labels, value: Number(value) };
    });
}

/** The value of the one sample with this name whose labels include these; 0 when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `more than one ${name} sample matches ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}

async function scrape(t: TestApp): Promise<Sample[]> {
  const res = await t.client().get(t.main("/metrics"), SCRAPER);
  assert.equal(res.status, 200, res.body);
  return parseExposition(res.body);
}

const withMetrics = { env: { METRICS_TOKEN } };

for (const dialect of testDialects()) {
  describe(`Prometheus metrics (${dialect})`, () => {
    test("without METRICS_TOKEN there is no /metrics: the same 404 as any unknown address", async () => {
      const t = await startTestApp(dialect);
      try {
        const res = await t.client().get(t.main("/metrics"), SCRAPER);
        assert.equal(res.status, 404);
        assert.doesNotMatch(res.body, /nodejs_|clinicrooms_/);
      } finally {
        await t.close();
      }
    });

    test("a missing or wrong token gets a bare 401; the scraper's token gets the text format with the event-loop delay", async () => {
      const t = await startTestApp(dialect, withMetrics);
      try {
        const attempts: Record<string, string>[] = [
          {},
          { authorization: "Bearer wrong-token-0123456789abcdefghijklmnop" },
          { authorization: METRICS_TOKEN },
        ];
        for (const headers of attempts) {
          const res = await t.client().get(t.main("/metrics"), headers);
          assert.equal(res.status, 401);
          assert.equal(res.body, "", "no detail for a refused scrape");
        }
        const clinic = await givenClinic(t);
        assert.equal((await t.client().get(t.clinicUrl(clinic.subdomain, "/metrics"), SCRAPER)).status, 404, "never on a clinic's host");
        assert.equal((await t.client().get(`http://127.0.0.1:${t.port}/metrics`, SCRAPER)).status, 200, "by the instance's address");
        const res = await t.client().get(t.main("/metrics"), SCRAPER);
        assert.equal(res.status, 200);
        assert.match(String(res.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
        const samples = parseExposition(res.body);
        assert.ok(
          samples.some((s) => s.name === "nodejs_eventloop_lag_p99_seconds"),
          "event-loop delay is exported",
        );
      } finally {
        await t.close();
      }
    });

    test("sign-ins are counted by method, outcome and reason; each ACS post lands in the latency histogram", async () => {
      const t = await startTestApp(dialect, withMetrics);
      try {
        const clinic = await givenClinic(t);
        const email = `nurse@${clinic.subdomain}.example`;
        await givenMember(t, clinic, { email });
        const signIn = t.clinicUrl(clinic.subdomain, "/sign-in");
        assert.equal((await signInWithPasswordForm(t.client(), signIn, email)).status, 303);
        assert.equal((await signInWithPasswordForm(t.client(), signIn, email, "not the password at all")).status, 401);
        assert.equal((await signInWithPasswordForm(t.client(), signIn, email, "")).status, 400);

        const saml = await connectTestIdp(t, clinic);
        const welcome = await saml.idp.buildResponse({ spEntityId: saml.sp.entityId, acsUrl: saml.sp.acsUrl, email });
        assert.equal((await postToAcs(t, t.client(), clinic.subdomain, welcome)).status, 303);
        const stranger = await saml.idp.buildResponse({ spEntityId: saml.sp.entityId, acsUrl: saml.sp.acsUrl, email: "who@example.org" });
        assert.equal((await postToAcs(t, t.client(), clinic.subdomain, stranger)).status, 403);
        assert.equal((await latestSsoEvent(t, clinic.subdomain)).code, "not_provisioned");

        const samples = await scrape(t);
        const signIns = (labels: Record<string, string>) => valueOf(samples, "clinicrooms_sign_ins_total", labels);
        assert.equal(signIns({ method: "password", outcome: "success", reason: "none" }), 1);
        assert.equal(signIns({ method: "password", outcome: "failure", reason: "invalid_credentials" }), 1);
        assert.equal(signIns({ method: "password", outcome: "failure", reason: "missing_credentials" }), 1);
        assert.equal(signIns({ method: "saml", outcome: "success", reason: "none" }), 1);
        assert.equal(signIns({ method: "saml", outcome: "failure", reason: "not_provisioned" }), 1);
        assert.equal(valueOf(samples, "clinicrooms_saml_acs_duration_seconds_count"), 2);
        assert.equal(valueOf(samples, "clinicrooms_saml_acs_duration_seconds_bucket", { le: "+Inf" }), 2);
      } finally {
        await t.close();
      }
    });

    test("requests are counted by route pattern and status, never by the raw path", async () => {
      const t = await startTestApp(dialect, withMetrics);
      try {
        const clinic = await givenClinic(t);
        assert.equal((await t.client().get(t.clinicUrl(clinic.subdomain, "/sign-in"))).status, 200);
        assert.equal((await t.client().get(t.main("/no/such-page-a1"))).status, 404);
        assert.equal((await t.client().get(t.main("/no/such-page-b2"))).status, 404);
        const samples = await scrape(t);
        const requests = samples.filter((s) => s.name === "clinicrooms_http_requests_total");
        assert.equal(valueOf(samples, "clinicrooms_http_requests_total", { method: "GET", route: "/sign-in", status: "200" }), 1);
        assert.equal(valueOf(samples, "clinicrooms_http_requests_total", { method: "GET", route: "unmatched", status: "404" }), 2);
        assert.ok(!requests.some((s) => /no-such-page/.test(s.labels.route ?? "")), "a made-up path never becomes a label");
      } finally {
        await t.close();
      }
    });

    test("two apps in one process keep separate registries", async () => {
      const first = await startTestApp(dialect, withMetrics);
      const second = await startTestApp(dialect, withMetrics);
      try {
        const clinic = await givenClinic(first);
        const signIn = first.clinicUrl(clinic.subdomain, "/sign-in");
        assert.equal((await signInWithPasswordForm(first.client(), signIn, "nobody@example.org")).status, 401);
        const failed = { method: "password", outcome: "failure", reason: "invalid_credentials" };
        assert.equal(valueOf(await scrape(first), "clinicrooms_sign_ins_total", failed), 1);
        assert.equal(valueOf(await scrape(second), "clinicrooms_sign_ins_total", failed), 0);
      } finally {
        await first.close();
        await second.close();
      }
    });

    test("the worker queue depth is read from the function the composition root registers, at each scrape", async () => {
      let depth = 3;
      const t = await startTestApp(dialect, { ...withMetrics, operations: { workerQueueDepth: () => depth } });
      try {
        assert.equal(valueOf(await scrape(t), "clinicrooms_saml_worker_queue_depth"), 3);
        depth = 11;
        assert.equal(valueOf(await scrape(t), "clinicrooms_saml_worker_queue_depth"), 11);
      } finally {
        await t.close();
      }
    });
  });
}
