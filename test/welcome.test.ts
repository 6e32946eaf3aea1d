import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { listAuditEvents } from "../src/audit/audit.js";
import type { Clinic } from "../src/clinics/clinic.js";
import { needsOnboarding } from "../src/rooms/choose-room-name.js";
import { findRoomByName, findRoomForUser } from "../src/rooms/room.queries.js";
import { testDialects } from "./support/databases.js";
import { PASSWORD, givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { csrfFrom, type HttpClient } from "./support/http-client.js";

/** The value attribute of the room-name field (names in these tests need no unescaping). */
function fieldValue(html: string): string | null {
  const input = /<input[^>]*id="room-name"[^>]*>/.exec(html)?.[0];
  if (!input) return null;
  const value = / value(?:="([^"]*)")?[ />]/.exec(input);
  return value ? (value[1] ?? "") : null;
}

/** The words under the field: the server's explanation of a refusal. */
function statusText(html: string): string {
  return /<div id="room-name-status"[^>]*>([^<]*)<\/div>/.exec(html)?.[1] ?? "";
}

for (const dialect of testDialects()) {
  describe(`choosing a room name at /welcome (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    /** A member of the clinic without a room, signed in with a password on the clinic's host. */
    async function signedInWithoutRoom(clinic: Clinic, email: string, name: string) {
      const member = await givenMember(t, clinic, { email, name });
      const client = t.client();
      const signIn = await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), email);
      assert.equal(signIn.status, 303);
      return { client, user: member.user };
    }

    /** Opens /welcome for its CSRF token and posts a room name, as the form does. */
    async function choose(client: HttpClient, clinic: Clinic, roomName: string) {
      const page = await client.get(t.clinicUrl(clinic.subdomain, "/welcome"));
      assert.equal(page.status, 200, "the welcome page should open before a room is chosen");
      return client.postForm(t.clinicUrl(clinic.subdomain, "/welcome"), { _csrf: csrfFrom(page.body), roomName });
    }

    test("offers a room name derived from the person's name, with its link and the rules in words", async () => {
      const clinic = await givenClinic(t, 5, "Harbour Family Practice");
      const { client } = await signedInWithoutRoom(clinic, "ruiz@harbour.org", "Dr. Ana María Ruiz");
      const page = await client.get(t.clinicUrl(clinic.subdomain, "/welcome"));
      assert.equal(page.status, 200);
      assert.match(page.body, /<h1>Finish setting up your account<\/h1>/);
      assert.ok(page.body.includes(`patients will join you at <strong>${t.main("/&lt;name")}`));
      assert.equal(fieldValue(page.body), "ana-maria-ruiz");
      assert.ok(page.body.includes(`${t.main("/ana-maria-ruiz")}</code>`), "the link preview shows the suggestion");
      assert.match(page.body, /<label for="room-name">Room name<\/label>/);
      assert.match(page.body, /aria-describedby="room-name-rules room-name-status"/);
      assert.match(page.body, /id="room-name-status" aria-live="polite"/);
      assert.match(page.body, /3 to 40 characters/);
      assert.match(page.body, /does not start or end with a hyphen/);
      assert.match(page.body, /<form method="post" action="\/welcome"/);
      assert.match(page.body, /<script src="\/assets\/welcome.js" defer/);
      const script = await client.get(t.clinicUrl(clinic.subdomain, "/assets/welcome.js"));
      assert.equal(script.status, 200);
      assert.match(script.body, /\/api\/v1\/rooms\/availability/);
    });

    test("suggests the next free variant when the name's room is taken", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "okafor1@example.org", name: "Sam Okafor", roomName: "sam-okafor" });
      await givenMember(t, clinic, { email: "okafor2@example.org", name: "Sam Okafor", roomName: "sam-okafor-2" });
      const { client } = await signedInWithoutRoom(clinic, "okafor3@example.org", "Sam Okafor");
      const page = await client.get(t.clinicUrl(clinic.subdomain, "/welcome"));
      assert.equal(fieldValue(page.body), "sam-okafor-3");
    });

    test("choosing a name leads to the dashboard and the room is live at BASE/NAME", async () => {
      const clinic = await givenClinic(t, 5, "Harbour Family Practice");
      const { client, user } = await signedInWithoutRoom(clinic, "wong@harbour.org", "Dr. Mei Wong");
      assert.equal(await needsOnboarding(t.db, user.id), true);
      assert.equal((await client.get(t.main("/mei-wong"))).status, 404);

      const chosen = await choose(client, clinic, "  Mei-Wong ");
      assert.equal(chosen.status, 303);
      assert.equal(chosen.location, "/dashboard");
      assert.equal(await needsOnboarding(t.db, user.id), false);
      const room = await client.get(t.main("/mei-wong"));
      assert.equal(room.status, 200);
      assert.match(room.body, /Dr\. Mei Wong&#39;s waiting room|Dr\. Mei Wong's waiting room/);
      const dashboard = await client.get(t.clinicUrl(clinic.subdomain, "/dashboard"));
      assert.ok(dashboard.body.includes(`href="${t.main("/mei-wong")}"`), "the room link on the dashboard is a link");
      const session = await client.get(t.clinicUrl(clinic.subdomain, "/api/v1/session"));
      assert.equal(session.json().roomName, "mei-wong");

      const events = (await listAuditEvents(t.db, clinic.id)).filter((e) => e.action === "room.choose");
      assert.deepEqual(
        events.map((e) => [e.actor, e.target, e.outcome]),
        [[user.id, "mei-wong", "success"]],
      );
      assert.ok(events[0]!.ip, "the event records where the choice came from");
    });

    const refusals: Array<[rule: string, typed: string, status: number, words: string]> = [
      ["empty", "", 400, "The room name must be at least 3 characters."],
      ["too short", "ab", 400, "“ab” must be at least 3 characters."],
      ["too long", "a".repeat(41), 400, `“${"a".repeat(41)}” must be at most 40 characters.`],
      ["leading hyphen", "-lee", 400, "“-lee” must not start or end with a hyphen."],
      ["trailing hyphen", "lee-", 400, "“lee-” must not start or end with a hyphen."],
      ["underscore", "dr_lee", 400, "“dr_lee” may contain only letters, digits and hyphens."],
      ["space", "dr lee", 400, "“dr lee” may contain only letters, digits and hyphens."],
      ["accented letter", "léa", 400, "“léa” may contain only letters, digits and hyphens."],
      ["reserved: dashboard", "Dashboard", 400, "“Dashboard” is reserved for the site itself."],
      ["reserved: api", "api", 400, "“api” is reserved for the site itself."],
      ["reserved: sign-in", "sign-in", 400, "“sign-in” is reserved for the site itself."],
    ];
    for (const [rule, typed, status, words] of refusals) {
      test(`refuses a room name that breaks a rule (${rule}), explains it and keeps what was typed`, async () => {
        const clinic = await givenClinic(t);
        const { client, user } = await signedInWithoutRoom(clinic, `${rule.replace(/\W+/g, "-")}@example.org`, "Robin Rule");
        const res = await choose(client, clinic, typed);
        assert.equal(res.status, status);
        assert.equal(statusText(res.body), words);
        assert.equal(fieldValue(res.body), typed);
        assert.match(res.body, /aria-invalid="true"/);
        assert.match(res.body, /autofocus/, "focus goes back to the field that needs fixing");
        assert.equal(await findRoomForUser(t.db, user.id), null);
      });
    }

    test("refuses a name that is taken, whatever its capitals, with 409", async () => {
      const clinic = await givenClinic(t);
      const owner = await givenMember(t, clinic, { email: "lee@example.org", name: "Dr. Lee", roomName: "dr-lee" });
      const { client, user } = await signedInWithoutRoom(clinic, "lee2@example.org", "Dr. Lee");
      const res = await choose(client, clinic, "Dr-Lee");
      assert.equal(res.status, 409);
      assert.equal(statusText(res.body), "“Dr-Lee” is taken.");
      assert.equal(fieldValue(res.body), "Dr-Lee");
      assert.equal(await findRoomForUser(t.db, user.id), null);
      assert.equal((await findRoomByName(t.db, "dr-lee"))?.userId, owner.user.id);
      const failures = (await listAuditEvents(t.db, clinic.id)).filter((e) => e.action === "room.choose" && e.outcome === "failure");
      assert.deepEqual(
        failures.map((e) => [e.actor, e.target, e.detail.reason]),
        [[user.id, "dr-lee", "room_name_taken"]],
      );
    });

    test("a person who already has a room is sent to the dashboard, and cannot change it here", async () => {
      const clinic = await givenClinic(t);
      const member = await givenMember(t, clinic, { email: "has-room@example.org", name: "Kim Park", roomName: "kim-park" });
      const client = t.client();
      await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), "has-room@example.org");
      const page = await client.get(t.clinicUrl(clinic.subdomain, "/welcome"));
      assert.equal(page.status, 303);
      assert.equal(page.location, "/dashboard");
      const dashboard = await client.get(t.clinicUrl(clinic.subdomain, "/dashboard"));
      const post = await client.postForm(t.clinicUrl(clinic.subdomain, "/welcome"), {
        _csrf: csrfFrom(dashboard.body),
        roomName: "kim-park-new",
      });
      assert.equal(post.status, 303);
      assert.equal(post.location, "/dashboard");
      assert.equal((await findRoomForUser(t.db, member.user.id))?.name, "kim-park");
      assert.equal(await findRoomByName(t.db, "kim-park-new"), null);
    });

    test("a double-submitted form gives one room and ends on the dashboard", async () => {
      const clinic = await givenClinic(t);
      const { client, user } = await signedInWithoutRoom(clinic, "double@example.org", "Jo Double");
      const page = await client.get(t.clinicUrl(clinic.subdomain, "/welcome"));
      const submit = () =>
        client.postForm(t.clinicUrl(clinic.subdomain, "/welcome"), { _csrf: csrfFrom(page.body), roomName: "jo-double" });
      const [first, second] = await Promise.all([submit(), submit()]);
      const third = await submit();
      for (const res of [first, second, third]) {
        assert.equal(res.status, 303);
        assert.equal(res.location, "/dashboard");
      }
      assert.equal((await findRoomForUser(t.db, user.id))?.name, "jo-double");
      const rooms = await t.db.selectFrom("rooms").select("name").where("user_id", "=", user.id).execute();
      assert.equal(rooms.length, 1);
      const successes = (await listAuditEvents(t.db, clinic.id)).filter((e) => e.action === "room.choose" && e.outcome === "success");
      assert.equal(successes.length, 1);
    });

    test("two people racing for one name: exactly one gets it, the other is told it is taken", async () => {
      const clinic = await givenClinic(t);
      const a = await signedInWithoutRoom(clinic, "race-a@example.org", "Ari Race");
      const b = await signedInWithoutRoom(clinic, "race-b@example.org", "Bo Race");
      const [pageA, pageB] = await Promise.all([a, b].map((p) => p.client.get(t.clinicUrl(clinic.subdomain, "/welcome"))));
      const [resA, resB] = await Promise.all([
        a.client.postForm(t.clinicUrl(clinic.subdomain, "/welcome"), { _csrf: csrfFrom(pageA!.body), roomName: "front-desk" }),
        b.client.postForm(t.clinicUrl(clinic.subdomain, "/welcome"), { _csrf: csrfFrom(pageB!.body), roomName: "front-desk" }),
      ]);
      assert.deepEqual([resA.status, resB.status].sort(), [303, 409]);
      const [winner, loser] = resA.status === 303 ? [a, resB] : [b, resA];
      assert.equal(statusText(loser.body), "“front-desk” is taken.");
      assert.equal((await findRoomByName(t.db, "front-desk"))?.userId, winner.user.id);
      const rooms = await t.db.selectFrom("rooms").select("user_id").where("user_id", "in", [a.user.id, b.user.id]).execute();
      assert.equal(rooms.length, 1);
    });

    test("refuses a form post without a CSRF token with 403 and creates nothing", async () => {
      const clinic = await givenClinic(t);
      const { client, user } = await signedInWithoutRoom(clinic, "csrf@example.org", "Cy Forge");
      const res = await client.postForm(t.clinicUrl(clinic.subdomain, "/welcome"), { roomName: "cy-forge" });
      assert.equal(res.status, 403);
      assert.equal(await findRoomForUser(t.db, user.id), null);
    });

    test("needs a session on a clinic host: strangers go to sign-in and back, the main site has no /welcome", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "later@example.org", name: "Lee Later" });
      const client = t.client();
      const res = await client.get(t.clinicUrl(clinic.subdomain, "/welcome"));
      assert.equal(res.status, 303);
      assert.equal(res.location, "/sign-in?returnTo=%2Fwelcome");
      const signInPage = await client.get(t.clinicUrl(clinic.subdomain, res.location!));
      assert.match(signInPage.body, /name="returnTo" value="\/welcome"/);
      const signIn = await client.postForm(t.clinicUrl(clinic.subdomain, "/sign-in"), {
        _csrf: csrfFrom(signInPage.body),
        email: "later@example.org",
        password: PASSWORD,
        returnTo: "/welcome",
      });
      assert.equal(signIn.location, "/welcome");
      assert.equal((await client.get(t.clinicUrl(clinic.subdomain, "/welcome"))).status, 200);

      const main = t.client();
      await signInWithPasswordForm(main, t.main("/sign-in"), "later@example.org");
      // The main site has no /welcome: it says where the page is, on the person's own clinic host.
      const onMain = await main.get(t.main("/welcome"));
      assert.equal(onMain.status, 200);
      assert.ok(onMain.body.includes(`href="${t.clinicUrl(clinic.subdomain, "/sign-in?returnTo=%2Fwelcome")}"`));
      assert.equal((await main.get(t.main("/api/v1/rooms/availability?name=lee-later"))).status, 404);
    });

    test("the availability endpoint answers free, taken and invalid names in words", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "avail-owner@example.org", name: "Val Owner", roomName: "val-owner" });
      const { client } = await signedInWithoutRoom(clinic, "avail@example.org", "Val Avail");
      const ask = async (name: string) => {
        const res = await client.get(t.clinicUrl(clinic.subdomain, `/api/v1/rooms/availability?name=${encodeURIComponent(name)}`));
        assert.equal(res.status, 200);
        assert.equal(res.headers["cache-control"], "no-store");
        return res.json();
      };
      assert.deepEqual(await ask(" Val-Avail "), { available: true, name: "val-avail" });
      assert.deepEqual(await ask("VAL-OWNER"), { available: false, reason: "is taken" });
      assert.deepEqual(await ask("ab"), { available: false, reason: "must be at least 3 characters" });
      assert.deepEqual(await ask("-val"), { available: false, reason: "must not start or end with a hyphen" });
      assert.deepEqual(await ask("welcome"), { available: false, reason: "is reserved for the site itself" });
      const noName = await client.get(t.clinicUrl(clinic.subdomain, "/api/v1/rooms/availability"));
      assert.deepEqual(noName.json(), { available: false, reason: "must be at least 3 characters" });
    });

    test("the availability endpoint needs a session", async () => {
      const clinic = await givenClinic(t);
      const res = await t.client().get(t.clinicUrl(clinic.subdomain, "/api/v1/rooms/availability?name=anything"));
      assert.equal(res.status, 401);
      assert.equal(res.json().error, "no_session");
    });
  });

  describe(`room availability rate limit (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    test("the 61st availability check in a minute is refused with 429", async () => {
      const clinic = await givenClinic(t);
      await givenMember(t, clinic, { email: "typist@example.org", name: "Fast Typist" });
      const client = t.client();
      await signInWithPasswordForm(client, t.clinicUrl(clinic.subdomain, "/sign-in"), "typist@example.org");
      const statuses: number[] = [];
      for (let i = 0; i < 61; i++) {
        statuses.push((await client.get(t.clinicUrl(clinic.subdomain, `/api/v1/rooms/availability?name=name-${i}`))).status);
      }
      assert.deepEqual(statuses.slice(0, 60), Array(60).fill(200));
      assert.equal(statuses[60], 429);
    });
  });
}
