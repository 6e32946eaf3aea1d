import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { csrfFrom } from "./support/http-client.js";
import { testDialects } from "./support/databases.js";
import {
  PASSWORD,
  givenClinic,
  givenMember,
  signInWithPasswordForm,
  startTestApp,
  uniqueSubdomain,
  type TestApp,
} from "./support/harness.js";

for (const dialect of testDialects()) {
  describe(`operator API (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    test("creates a clinic and reads it back with its seats", async () => {
      const client = t.client();
      const subdomain = uniqueSubdomain("acme");
      const created = await client.postJson(t.main("/api/v1/clinics"), { subdomain, name: "Acme Health", seats: 3 }, t.operator);
      assert.equal(created.status, 201);
      assert.equal(created.json().subdomain, subdomain);
      const read = await client.get(t.main(`/api/v1/clinics/${subdomain}`), t.operator);
      assert.equal(read.status, 200);
      assert.deepEqual([read.json().seats, read.json().seatsUsed], [3, 0]);
      assert.equal(read.json().signInUrl, t.clinicUrl(subdomain, "/sign-in"));
    });

    test("refuses a subdomain that is taken with 409", async () => {
      const client = t.client();
      const subdomain = uniqueSubdomain("taken");
      await client.postJson(t.main("/api/v1/clinics"), { subdomain, name: "One", seats: 1 }, t.operator);
      const again = await client.postJson(t.main("/api/v1/clinics"), { subdomain, name: "Two", seats: 1 }, t.operator);
      assert.equal(again.status, 409);
      assert.equal(again.json().error, "subdomain_taken");
    });

    test("explains bad input field by field with 400", async () => {
      const bad = await t.client().postJson(t.main("/api/v1/clinics"), { subdomain: "A_b", name: "", seats: 0, colour: "red" }, t.operator);
      assert.equal(bad.status, 400);
      const fields = bad.json().fields;
      assert.match(fields.subdomain, /lower-case letters/);
      assert.match(fields.name, /must not be empty/);
      assert.match(fields.seats, /at least 1/);
      assert.match(fields.colour, /not a known field/);
    });

    test("refuses reserved and malformed subdomains and missing fields", async () => {
      const client = t.client();
      for (const subdomain of ["www", "api", "admin", "ab", "-abc", "abc-", "a".repeat(64)]) {
        const res = await client.postJson(t.main("/api/v1/clinics"), { subdomain, name: "X", seats: 1 }, t.operator);
        assert.equal(res.status, 400, subdomain);
        assert.ok(res.json().fields.subdomain, subdomain);
      }
      const missing = await client.postJson(t.main("/api/v1/clinics"), {}, t.operator);
      assert.deepEqual(Object.keys(missing.json().fields).sort(), ["name", "seats", "subdomain"]);
    });

    test("refuses the wrong content type with 415, malformed JSON with 400 and a huge body with 413", async () => {
      const client = t.client();
      const form = await client.postForm(t.main("/api/v1/clinics"), { subdomain: "formy", name: "F", seats: "1" }, t.operator);
      assert.equal(form.status, 415);
      const malformed = await client.send("POST", t.main("/api/v1/clinics"), "{nope", {
        "content-type": "application/json",
        ...t.operator,
      });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.json().error, "malformed_body");
      const huge = await client.postJson(t.main("/api/v1/clinics"), { subdomain: "big", name: "x".repeat(200_000), seats: 1 }, t.operator);
      assert.equal(huge.status, 413);
    });

    test("refuses requests without the operator token, and serves the API on the main site only", async () => {
      const client = t.client();
      assert.equal((await client.get(t.main("/api/v1/clinics/anything"))).status, 401);
      assert.equal((await client.get(t.main("/api/v1/clinics/anything"), { authorization: "Bearer wrong" })).status, 401);
      const clinic = await givenClinic(t);
      assert.equal((await client.get(t.clinicUrl(clinic.subdomain, `/api/v1/clinics/${clinic.subdomain}`), t.operator)).status, 404);
    });

    test("adds users until the seats run out, one clinic per email", async () => {
      const client = t.client();
      const clinic = await givenClinic(t, 1);
      const url = t.main(`/api/v1/clinics/${clinic.subdomain}/users`);
      const first = await client.postJson(url, { email: "Ann@Example.org", name: "Ann", role: "admin", password: PASSWORD }, t.operator);
      assert.equal(first.status, 201);
      assert.equal(first.json().email, "ann@example.org");
      const noSeat = await client.postJson(url, { email: "bob@example.org", name: "Bob", role: "provider" }, t.operator);
      assert.equal(noSeat.status, 422);
      const other = await givenClinic(t);
      const taken = await client.postJson(
        t.main(`/api/v1/clinics/${other.subdomain}/users`),
        { email: "ann@example.org", name: "Ann", role: "provider" },
        t.operator,
      );
      assert.equal(taken.status, 409);
      const read = await client.get(t.main(`/api/v1/clinics/${clinic.subdomain}`), t.operator);
      assert.equal(read.json().seatsUsed, 1);
    });

    test("refuses a malformed email, an unknown role and a short password", async () => {
      const clinic = await givenClinic(t);
      const res = await t
        .client()
        .postJson(
          t.main(`/api/v1/clinics/${clinic.subdomain}/users`),
          { email: "not-an-email", name: "X", role: "owner", password: "short" },
          t.operator,
        );
      assert.equal(res.status, 400);
      assert.deepEqual(Object.keys(res.json().fields).sort(), ["email", "password", "role"]);
    });
  });

  describe(`sign-in and sessions (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    test("password sign-in on the main site opens a session reported by /api/v1/session", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "main@example.org", name: "Mia Main", roomName: `mia-${clinic.subdomain}` });
      const client = t.client();
      const res = await signInWithPasswordForm(client, t.main("/sign-in"), "MAIN@example.org");
      assert.equal(res.status, 303);
      assert.equal(res.location, "/account");
      const session = await client.get(t.main("/api/v1/session"));
      assert.equal(session.status, 200);
      assert.deepEqual(session.json(), {
        email: "main@example.org",
        name: "Mia Main",
        clinic: clinic.subdomain,
        role: "provider",
        roomName: `mia-${clinic.subdomain}`,
        authMethod: "password",
        onboardingRequired: false,
      });
      const account = await client.get(t.main("/account"));
      assert.match(account.body, /Go to your clinic dashboard/);
      assert.ok(account.body.includes(`${t.clinicUrl(clinic.subdomain, "/sign-in")}?returnTo=%2Fdashboard`));
    });

    test("clinic sign-in page shows the clinic's name and leads to the dashboard", async () => {
      const clinic = await givenClinic(t, 5, "Northside Pediatrics");
      await givenMember(t, clinic, { email: "doc@northside.org", name: "Dr. Lee", roomName: `lee-${clinic.subdomain}` });
      const client = t.client();
      const page = await client.get(t.clinicUrl(clinic.subdomain, "/sign-in"));
      assert.match(page.body, /Sign in to Northside Pediatrics/);
      const res = await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), "doc@northside.org");
      assert.equal(res.location, "/dashboard");
      const dashboard = await client.get(t.clinicUrl(clinic.subdomain, "/dashboard"));
      assert.equal(dashboard.status, 200);
      assert.match(dashboard.body, /Welcome, Dr. Lee/);
      assert.ok(dashboard.body.includes(t.main(`/lee-${clinic.subdomain}`)));
    });

    test("one generic error for an unknown email and a wrong password", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "gen@example.org" });
      const unknown = await signInWithPasswordForm(t.client(), t.main("/sign-in"), "nobody@example.org");
      const wrong = await signInWithPasswordForm(t.client(), t.main("/sign-in"), "gen@example.org", "wrong password!!");
      assert.equal(unknown.status, 401);
      assert.equal(wrong.status, 401);
      const message = (html: string) => /role="alert">([^<]+)</.exec(html)?.[1];
      assert.equal(message(unknown.body), message(wrong.body));
    });

    test("a member of another clinic cannot sign in on this clinic's page", async () => {
      const a = await givenClinic(t);
      const b = await givenClinic(t);
      await givenMember(t, a, { email: "only-a@example.org" });
      const res = await signInWithPasswordForm(t.client(), t.clinicUrl(b.subdomain, "/sign-in"), "only-a@example.org");
      assert.equal(res.status, 401);
    });

    test("a clinic A session cookie is not accepted on clinic B's host", async () => {
      const a = await givenClinic(t);
      const b = await givenClinic(t);
      await givenMember(t, a, { email: "cross@example.org" });
      const client = t.client();
      await signInWithPasswordForm(client, t.clinicUrl(a.subdomain, "/sign-in"), "cross@example.org");
      const hostA = new URL(t.clinicUrl(a.subdomain)).hostname;
      const token = client.cookie(hostA, "session")!;
      assert.ok(token);
      assert.equal((await client.get(t.clinicUrl(a.subdomain, "/api/v1/session"))).status, 200);
      // Replay the cookie where the browser would never send it: clinic B and the main site.
      const attacker = t.client();
      attacker.setCookie(new URL(t.clinicUrl(b.subdomain)).hostname, "session", token);
      attacker.setCookie(new URL(t.main()).hostname, "session", token);
      assert.equal((await attacker.get(t.clinicUrl(b.subdomain, "/api/v1/session"))).status, 401);
      assert.equal((await attacker.get(t.main("/api/v1/session"))).status, 401);
      assert.equal((await attacker.get(t.clinicUrl(b.subdomain, "/dashboard"))).location, "/sign-in?returnTo=%2Fdashboard");
    });

    test("the session cookie is host-only, HttpOnly and SameSite=Lax", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "cookie@example.org" });
      const res = await signInWithPasswordForm(t.client(), t.clinicUrl(clinic.subdomain, "/sign-in"), "cookie@example.org");
      const cookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("session="))!;
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Lax/);
      assert.doesNotMatch(cookie, /Domain=/i);
    });

    test("sign-in rotates the session: the token from before no longer works", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "rotate@example.org" });
      const client = t.client();
      const signIn = t.clinicUrl(clinic.subdomain, "/sign-in");
      const host = new URL(signIn).hostname;
      const csrf = csrfFrom((await client.get(signIn)).body);
      await client.postForm(signIn, { _csrf: csrf, email: "rotate@example.org", password: PASSWORD });
      const first = client.cookie(host, "session")!;
      // The same browser signs in again while still holding its first session.
      const again = await client.postForm(signIn, { _csrf: csrf, email: "rotate@example.org", password: PASSWORD });
      assert.equal(again.status, 303);
      const second = client.cookie(host, "session")!;
      assert.notEqual(second, first);
      const stale = t.client();
      stale.setCookie(host, "session", first);
      assert.equal((await stale.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).status, 401);
      assert.equal((await client.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).status, 200);
    });

    test("sign-out deletes the session on the server, not just the cookie", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "out@example.org", roomName: `out-${clinic.subdomain}` });
      const client = t.client();
      const host = new URL(t.clinicUrl(clinic.subdomain)).hostname;
      await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), "out@example.org");
      const token = client.cookie(host, "session")!;
      const dashboard = await client.get(t.clinicUrl(clinic.subdomain, "/dashboard"));
      const out = await client.postForm(t.clinicUrl(clinic.subdomain, "/sign-out"), { _csrf: csrfFrom(dashboard.body) });
      assert.equal(out.status, 303);
      const replay = t.client();
      replay.setCookie(host, "session", token);
      assert.equal((await replay.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).status, 401);
    });

    test("refuses a form post without a CSRF token", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "csrf@example.org" });
      const client = t.client();
      await client.get(t.clinicUrl(clinic.subdomain, "/sign-in"));
      const res = await client.postForm(t.clinicUrl(clinic.subdomain, "/sign-in"), { email: "csrf@example.org", password: PASSWORD });
      assert.equal(res.status, 403);
      assert.match(res.body, /This form has expired/);
      const forged = await client.postForm(t.clinicUrl(clinic.subdomain, "/sign-in"), {
        _csrf: "forged",
        email: "csrf@example.org",
        password: PASSWORD,
      });
      assert.equal(forged.status, 403);
      assert.equal((await client.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).status, 401);
    });

    test("an idle session expires", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "idle@example.org" });
      const client = t.client();
      await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), "idle@example.org");
      t.advanceClock((t.config.sessionIdleMinutes - 1) * 60_000);
      assert.equal((await client.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).status, 200);
      t.advanceClock(t.config.sessionIdleMinutes * 60_000 + 1000);
      assert.equal((await client.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).status, 401);
    });

    test("a busy session still ends at its absolute lifetime", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "absolute@example.org" });
      const client = t.client();
      await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), "absolute@example.org");
      const step = (t.config.sessionIdleMinutes - 5) * 60_000;
      const steps = Math.ceil((t.config.sessionAbsoluteHours * 3_600_000) / step);
      for (let i = 1; i < steps; i++) {
        t.advanceClock(step);
        assert.equal((await client.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).status, 200, `step ${i}`);
      }
      t.advanceClock(step);
      assert.equal((await client.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"))).status, 401);
    });

    test("a return path to another origin is never followed", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "redirect@example.org" });
      for (const returnTo of ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)"]) {
        const client = t.client();
        const signIn = t.clinicUrl(clinic.subdomain, "/sign-in");
        const page = await client.get(`${signIn}?returnTo=${encodeURIComponent(returnTo)}`);
        const res = await client.postForm(signIn, {
          _csrf: csrfFrom(page.body),
          email: "redirect@example.org",
          password: PASSWORD,
          returnTo,
        });
        assert.equal(res.location, "/dashboard", returnTo);
      }
    });

    test("an unknown clinic subdomain answers a 404 page", async () => {
      const res = await t.client().get(t.clinicUrl("no-such-clinic", "/sign-in"));
      assert.equal(res.status, 404);
      assert.match(res.body, /There is no clinic at this address/);
    });

    test("a provider's room is live at BASE/ROOMNAME", async () => {
      const clinic = await givenClinic(t, 5, "Room Clinic");
      await givenMember(t, clinic, { email: "room@example.org", name: "Dr. Room", roomName: `room-${clinic.subdomain}` });
      const page = await t.client().get(t.main(`/ROOM-${clinic.subdomain}`));
      assert.equal(page.status, 200);
      assert.match(page.body, /Dr. Room&#39;s waiting room|Dr. Room's waiting room/);
      assert.equal((await t.client().get(t.main("/no-such-room"))).status, 404);
    });

    test("pages escape what people typed: a name cannot become markup", async () => {
      const clinic = await givenClinic(t, 5, "<script>alert(1)</script> Clinic");
      const page = await t.client().get(t.clinicUrl(clinic.subdomain, "/sign-in"));
      assert.doesNotMatch(page.body, /<script>alert/);
      assert.match(page.body, /&lt;script>alert\(1\)&lt;\/script>|&lt;script&gt;alert/);
    });
  });
}
