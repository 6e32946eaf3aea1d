import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { buildApp } from "../src/app.js";
import type { Clinic } from "../src/clinics/clinic.js";
import { removeMember } from "../src/users/manage-members.js";
import { testDialects } from "./support/databases.js";
import { freePort, givenClinic, givenMember, signInWithPasswordForm, startTestApp, type TestApp } from "./support/harness.js";
import { HttpClient, csrfFrom, type HttpResponse } from "./support/http-client.js";

for (const dialect of testDialects()) {
  describe(`waiting room (${dialect})`, () => {
    let t: TestApp;
    before(async () => (t = await startTestApp(dialect)));
    after(() => t.close());

    async function givenProvider(clinic?: Clinic) {
      const c = clinic ?? (await givenClinic(t, 5, "Riverside Clinic"));
      const room = `dr-ray-${c.subdomain}`;
      const email = `ray@${c.subdomain}.example`;
      await givenMember(t, c, { email, name: "Dr. Ray", roomName: room });
      const provider = t.client();
      assert.equal((await signInWithPasswordForm(provider, t.clinicUrl(c.subdomain, "/sign-in"), email)).status, 303);
      return { clinic: c, room, provider };
    }

    async function join(patient: HttpClient, room: string, name: string): Promise<HttpResponse> {
      const page = await patient.get(t.main(`/${room}`));
      assert.equal(page.status, 200);
      return patient.postForm(t.main(`/${room}/join`), { _csrf: csrfFrom(page.body), name });
    }

    async function waitingList(provider: HttpClient, clinic: Clinic) {
      const res = await provider.get(t.clinicUrl(clinic.subdomain, "/api/v1/waiting-room"));
      assert.equal(res.status, 200);
      return res.json().waiting as { id: string; name: string; status: string }[];
    }

    async function decide(provider: HttpClient, clinic: Clinic, action: "admit" | "dismiss", patient: string) {
      const dashboard = await provider.get(t.clinicUrl(clinic.subdomain, "/dashboard"));
      return provider.postForm(t.clinicUrl(clinic.subdomain, `/waiting-room/${action}`), { _csrf: csrfFrom(dashboard.body), patient });
    }

    test("a patient gives a name, waits, is admitted to the visit placeholder, and the provider sees it all", async () => {
      const { clinic, room, provider } = await givenProvider();
      const patient = t.client();
      const page = await patient.get(t.main(`/${room}`));
      assert.match(page.body, /<label for="patient-name">Your name<\/label>/);
      const joined = await join(patient, room, "Ana María O’Neil");
      assert.equal(joined.status, 303);
      assert.equal(joined.location, `/${room}`);
      assert.match(
        String(joined.headers["set-cookie"]),
        new RegExp(`waiting=[A-Za-z0-9_-]{43}; Max-Age=\\d+; Path=/${room}; HttpOnly; SameSite=Lax`),
      );
      const waitingPage = await patient.get(t.main(`/${room}`));
      assert.match(waitingPage.body, /You are in the waiting room, Ana María O’Neil/);
      assert.deepEqual((await patient.get(t.main(`/${room}/status`))).json(), { status: "waiting" });

      const list = await waitingList(provider, clinic);
      assert.deepEqual(
        list.map((w) => [w.name, w.status]),
        [["Ana María O’Neil", "waiting"]],
      );
      const dashboard = await provider.get(t.clinicUrl(clinic.subdomain, "/dashboard"));
      assert.match(dashboard.body, /<strong>Ana María O’Neil<\/strong>/);
      assert.match(dashboard.body, /aria-label="Admit Ana María O’Neil"/);

      assert.equal((await decide(provider, clinic, "admit", list[0]!.id)).location, "/dashboard");
      assert.deepEqual((await patient.get(t.main(`/${room}/status`))).json(), { status: "admitted" });
      assert.match((await patient.get(t.main(`/${room}`))).body, /The video visit with Dr. Ray would appear here/);
      assert.match((await provider.get(t.clinicUrl(clinic.subdomain, "/waiting-room"))).body, /Your video visit with Ana María O’Neil/);

      assert.equal((await decide(provider, clinic, "dismiss", list[0]!.id)).location, "/dashboard");
      assert.match((await patient.get(t.main(`/${room}`))).body, /Dr. Ray has closed your visit/);
      assert.deepEqual(await waitingList(provider, clinic), []);
    });

    test("the queue lives in the database: another app instance (a restart) sees the same patients", async () => {
      const { clinic, room, provider } = await givenProvider();
      assert.equal((await join(t.client(), room, "Bo Berg")).status, 303);
      const port = await freePort();
      const second = await buildApp({ config: { ...t.config, port }, db: t.db, logger: false });
      await second.listen({ host: "127.0.0.1", port });
      try {
        // The same browser (the provider's session cookie) talking to the other instance.
        const host = `${clinic.subdomain}.localhost`;
        const again = new HttpClient(port);
        again.setCookie(host, "session", provider.cookie(host, "session")!);
        const res = await again.get(t.clinicUrl(clinic.subdomain, "/api/v1/waiting-room"));
        assert.deepEqual(
          res.json().waiting.map((w: { name: string }) => w.name),
          ["Bo Berg"],
        );
      } finally {
        await second.close();
      }
    });

    for (const [name, reason] of [
      ["", /Type your name so your provider knows who is waiting/],
      ["x".repeat(61), /at most 60 characters/],
      ['<script>alert("hi")</script>', /Use only letters, spaces, hyphens/],
      ["Robert'); DROP TABLE waiting_patients;--", /Use only letters, spaces, hyphens/],
      ["Bob\u0000\u202e", /Use only letters, spaces, hyphens/],
      ["R2-D2", /Use only letters, spaces, hyphens/],
    ] as const) {
      test(`refuses the name ${JSON.stringify(name.slice(0, 20))} with a clear message and writes nothing`, async () => {
        const { room } = await givenProvider();
        const patient = t.client();
        const res = await join(patient, room, name);
        assert.equal(res.status, 400);
        assert.match(res.body, reason);
        assert.match(res.body, /aria-invalid="true"/);
        assert.ok(!res.body.includes("<script>alert"), "the typed text is escaped");
        assert.equal(patient.cookie("localhost", "waiting"), undefined);
        const rows = await t.db
          .selectFrom("waiting_patients")
          .innerJoin("rooms", "rooms.id", "waiting_patients.room_id")
          .select("waiting_patients.id")
          .where("rooms.name", "=", room)
          .execute();
        assert.equal(rows.length, 0);
      });
    }

    test("a patient sees only their own entry: the status answers by cookie, and a forged cookie sees nothing", async () => {
      const { room } = await givenProvider();
      const ana = t.client();
      await join(ana, room, "Ana");
      const stranger = t.client();
      assert.deepEqual((await stranger.get(t.main(`/${room}/status`))).json(), { status: "none" });
      stranger.setCookie("localhost", "waiting", "A".repeat(43));
      assert.deepEqual((await stranger.get(t.main(`/${room}/status`))).json(), { status: "none" });
      const page = await stranger.get(t.main(`/${room}`));
      assert.ok(!page.body.includes("Ana"), "another patient's name never reaches a stranger");
      assert.match(page.body, /Join the waiting room/);
    });

    test("a provider can admit only patients of their own room", async () => {
      const a = await givenProvider();
      const b = await givenProvider(await givenClinic(t, 5, "Other Clinic"));
      await join(t.client(), a.room, "Cleo");
      const [cleo] = await waitingList(a.provider, a.clinic);
      const res = await decide(b.provider, b.clinic, "admit", cleo!.id);
      assert.equal(res.status, 404);
      assert.match(res.body, /That patient is no longer waiting/);
      assert.equal((await waitingList(a.provider, a.clinic))[0]!.status, "waiting");
      assert.equal((await t.client().get(t.clinicUrl(a.clinic.subdomain, "/api/v1/waiting-room"))).status, 401);
    });

    test("a removed provider's room is closed: its page, its status and joining it are not found", async () => {
      const { clinic, room } = await givenProvider();
      const patient = t.client();
      const page = await patient.get(t.main(`/${room}`));
      assert.equal(page.status, 200);
      assert.equal((await removeMember(t.db, clinic, `ray@${clinic.subdomain}.example`, { actor: "test", ip: null }, new Date())).ok, true);
      assert.equal((await patient.get(t.main(`/${room}`))).status, 404);
      assert.equal((await patient.get(t.main(`/${room}/status`))).status, 404);
      assert.equal((await patient.postForm(t.main(`/${room}/join`), { _csrf: csrfFrom(page.body), name: "Ana" })).status, 404);
    });

    test("the provider's side: signed out, the list is refused and a decision goes to sign-in; without a room, the list says so", async () => {
      const { clinic } = await givenProvider();
      const stranger = t.client();
      const signInPage = await stranger.get(t.clinicUrl(clinic.subdomain, "/sign-in"));
      const admit = await stranger.postForm(t.clinicUrl(clinic.subdomain, "/waiting-room/admit"), {
        _csrf: csrfFrom(signInPage.body),
        patient: "someone",
      });
      assert.equal(admit.status, 303);
      assert.equal(admit.location, "/sign-in?returnTo=%2Fdashboard");
      const list = await stranger.get(t.clinicUrl(clinic.subdomain, "/waiting-room"));
      assert.equal(list.status, 401);
      assert.equal(list.json().error, "signed_out");
      assert.equal((await t.client().get(t.main("/waiting-room"))).status, 404, "the main site has no provider's list");

      const email = `nell@${clinic.subdomain}.example`;
      await givenMember(t, clinic, { email, name: "Nell New" });
      const newcomer = t.client();
      await signInWithPasswordForm(newcomer, t.clinicUrl(clinic.subdomain, "/sign-in"), email);
      const noRoom = await newcomer.get(t.clinicUrl(clinic.subdomain, "/api/v1/waiting-room"));
      assert.equal(noRoom.status, 409);
      assert.deepEqual(noRoom.json(), { error: "no_room", message: "Choose your room name first." });
    });

    test("a patient who leaves, or whose page has been closed for a while, is no longer listed", async () => {
      const { clinic, room, provider } = await givenProvider();
      const leaver = t.client();
      await join(leaver, room, "Lea");
      const page = await leaver.get(t.main(`/${room}`));
      assert.equal((await leaver.postForm(t.main(`/${room}/leave`), { _csrf: csrfFrom(page.body) })).status, 303);
      assert.deepEqual(await waitingList(provider, clinic), []);
      await join(t.client(), room, "Quiet Quinn");
      assert.equal((await waitingList(provider, clinic)).length, 1);
      t.advanceClock(5 * 60_000);
      assert.deepEqual(await waitingList(provider, clinic), []);
    });

    test("joining is rate-limited per address", async () => {
      const { room } = await givenProvider();
      const patient = t.client();
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await join(patient, room, "Flo Flood")).status);
      assert.deepEqual(statuses.slice(0, 10), Array(10).fill(303));
      assert.equal(statuses[10], 429);
    });
  });
}
