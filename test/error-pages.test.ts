import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { testDialects } from "./support/databases.js";
import { givenClinic, startTestApp, type TestApp } from "./support/harness.js";
import type { HttpResponse } from "./support/http-client.js";

/** An error page from the one error mapper: our HTML with its title, never the path or Fastify's JSON. */
function assertErrorPage(res: HttpResponse, status: number, title: RegExp, path = ""): void {
  assert.equal(res.status, status, path.slice(0, 40));
  assert.match(String(res.headers["content-type"]), /^text\/html/);
  assert.match(res.body, /<h1>/);
  assert.match(res.body, title);
  assertNothingEchoed(res, path);
}

/** The API's error JSON: a stable code and a sentence, never the path. */
function assertApiError(res: HttpResponse, status: number, code: string, path = ""): void {
  assert.equal(res.status, status, path.slice(0, 40));
  assert.match(String(res.headers["content-type"]), /^application\/json/);
  assert.equal(res.json().error, code);
  assert.ok(res.json().message);
  assertNothingEchoed(res, path);
}

function assertNothingEchoed(res: HttpResponse, path: string): void {
  const fragments = path ? [path, decodeURIComponentSafe(path), path.slice(1, 41)] : [];
  for (const fragment of fragments) assert.ok(!res.body.includes(fragment), "the path is echoed");
  assert.doesNotMatch(res.body, /FST_|statusCode/);
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

for (const dialect of testDialects()) {
  describe(`every error goes through the error pages (${dialect})`, () => {
    let t: TestApp;
    let clinicUrl: (path: string) => string;
    before(async () => {
      t = await startTestApp(dialect);
      const clinic = await givenClinic(t, 5, "Lakeside Clinic");
      clinicUrl = (path) => t.clinicUrl(clinic.subdomain, path);
    });
    after(() => t.close());

    test("a path that is not valid percent-encoding: 400 page, or JSON under /api/", async () => {
      for (const path of ["/%ff", "/dashboard/%E0%A4%A", "/assets/%c0"]) {
        assertErrorPage(await t.client().get(t.main(path)), 400, /This address is not valid/, path);
        assertErrorPage(await t.client().get(clinicUrl(path)), 400, /This address is not valid/, path);
      }
      assertApiError(await t.client().get(t.main("/api/v1/clinics/%ff")), 400, "bad_url", "/api/v1/clinics/%ff");
    });

    test("a very long path: 414 page without the path, or JSON under /api/", async () => {
      const path = `/${"room".repeat(1000)}`;
      assertErrorPage(await t.client().get(t.main(path)), 414, /This address is too long/, path);
      const apiPath = `/api/v1/clinics/${"x".repeat(4000)}`;
      assertApiError(await t.client().get(t.main(apiPath), t.operator), 414, "url_too_long", apiPath);
    });

    test("a path longer than the server reads at all: 431 page, or JSON under /api/", async () => {
      const path = `/${"long".repeat(5000)}`;
      const res = await t.client().get(t.main(path));
      assertErrorPage(res, 431, /This address is too long/, path);
      assert.equal(res.headers.connection, "close");
      assertApiError(await t.client().get(t.main(`/api${path}`)), 431, "request_too_large", path);
    });

    test("an unknown page or an unknown method on a known page: the 404 page", async () => {
      const path = "/no-such-page-qwerty";
      assertErrorPage(await t.client().get(clinicUrl(path)), 404, /Page not found/, path);
      for (const method of ["DELETE", "PUT", "PROPFIND"]) {
        assertErrorPage(await t.client().send(method, clinicUrl("/sign-in"), undefined), 404, /Page not found/);
      }
      assertApiError(await t.client().send("DELETE", t.main("/api/v1/session"), undefined), 404, "not_found");
    });

    test("a body that is too large, of the wrong type or malformed: the error page, or JSON under /api/", async () => {
      const big = await t.client().postForm(clinicUrl("/sign-in"), { email: "x".repeat(100_000) });
      assertErrorPage(big, 413, /Too much data/);
      const xml = await t.client().send("POST", clinicUrl("/sign-in"), "<x/>", { "content-type": "application/xml" });
      assertErrorPage(xml, 415, /Unsupported format/);
      const malformed = await t
        .client()
        .send("POST", t.main("/api/v1/clinics"), "{nope", { "content-type": "application/json", ...t.operator });
      assertApiError(malformed, 400, "malformed_body");
    });
  });
}
