import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createTestDatabase, testDialects, type TestDatabase } from "../../test/support/databases.js";
import { listAuditEvents } from "../audit/audit.js";
import { migrateToLatest } from "../db/migrate.js";
import { openDatabase, type Db } from "../db/open.js";
import { newId, nowIso } from "../ids.js";
import { SUGGESTION_ATTEMPTS, checkRoomNameAvailability, chooseRoomName, suggestAvailableRoomName } from "./choose-room-name.js";
import { findRoomForUser } from "./room.queries.js";

for (const dialect of testDialects()) {
  describe(`choosing a room name (${dialect})`, () => {
    let database: TestDatabase;
    let db: Db;
    before(async () => {
      database = await createTestDatabase(dialect);
      db = (await openDatabase(database.url)).db;
      await migrateToLatest(db);
    });
    after(async () => {
      await db?.destroy();
      await database?.drop();
    });

    /** A user row, with a room when one is named: rooms are all these functions look at. */
    async function givenUser(roomName?: string): Promise<{ id: string }> {
      const id = newId();
      await db
        .insertInto("users")
        .values({ id, email: `${id}@example.org`, name: "Test Person", password_hash: null, created_at: nowIso(new Date()) })
        .execute();
      if (roomName)
        await db
          .insertInto("rooms")
          .values({ id: newId(), name: roomName, user_id: id, created_at: nowIso(new Date()) })
          .execute();
      return { id };
    }

    test("availability: a free name comes back trimmed and lower-cased", async () => {
      assert.deepEqual(await checkRoomNameAvailability(db, "  Quiet-Harbour "), { available: true, name: "quiet-harbour" });
    });

    test("availability: a name in use is taken, whatever its capitals", async () => {
      await givenUser("bright-lake");
      assert.deepEqual(await checkRoomNameAvailability(db, "Bright-LAKE"), { available: false, reason: "is taken" });
    });

    test("availability: each broken rule is explained in words", async () => {
      const cases: Array<[string, string]> = [
        ["", "must be at least 3 characters"],
        ["ab", "must be at least 3 characters"],
        ["a".repeat(41), "must be at most 40 characters"],
        ["x_y_z", "may contain only letters, digits and hyphens"],
        ["-abc", "must not start or end with a hyphen"],
        ["abc-", "must not start or end with a hyphen"],
        ["dashboard", "is reserved for the site itself"],
        ["API", "is reserved for the site itself"],
      ];
      for (const [typed, reason] of cases) {
        assert.deepEqual(await checkRoomNameAvailability(db, typed), { available: false, reason }, typed);
      }
    });

    test("suggestion: the person's name when it is free", async () => {
      assert.equal(await suggestAvailableRoomName(db, "Dr. Noor Haddad"), "noor-haddad");
    });

    test("suggestion: the next free numbered variant when the name is taken", async () => {
      await givenUser("ines-costa");
      assert.equal(await suggestAvailableRoomName(db, "Inês Costa"), "ines-costa-2");
      await givenUser("ines-costa-2");
      await givenUser("ines-costa-4");
      assert.equal(await suggestAvailableRoomName(db, "Inês Costa"), "ines-costa-3");
    });

    test("suggestion: a long name is shortened to make room for the number, never leaving a double hyphen", async () => {
      // 37 letters, a hyphen, then more: cutting to 38 characters for "-2" would end on that hyphen.
      const longName = `${"a".repeat(37)} bcdef`;
      const base = `${"a".repeat(37)}-bc`;
      await givenUser(base);
      const suggestion = await suggestAvailableRoomName(db, longName);
      assert.equal(suggestion, `${"a".repeat(37)}-2`);
      assert.ok(suggestion!.length <= 40);
    });

    test("suggestion: none for a name with nothing usable in it", async () => {
      assert.equal(await suggestAvailableRoomName(db, "李"), null);
      assert.equal(await suggestAvailableRoomName(db, "Al"), null);
    });

    test(`suggestion: none once the name and its variants up to -${SUGGESTION_ATTEMPTS} are all taken`, async () => {
      await givenUser("omar-busy");
      for (let n = 2; n <= SUGGESTION_ATTEMPTS; n++) await givenUser(`omar-busy-${n}`);
      assert.equal(await suggestAvailableRoomName(db, "Omar Busy"), null);
    });

    test("choose: gives the room and records room.choose in the audit log", async () => {
      const user = await givenUser();
      const clinicId = newId();
      const result = await chooseRoomName(db, user, clinicId, " Calm-Room ", "203.0.113.9", new Date());
      assert.ok(result.ok);
      assert.deepEqual([result.value.name, result.value.userId], ["calm-room", user.id]);
      assert.equal((await findRoomForUser(db, user.id))?.id, result.value.id);
      const events = await listAuditEvents(db, clinicId);
      assert.deepEqual(
        events.map((e) => [e.action, e.actor, e.target, e.ip, e.outcome]),
        [["room.choose", user.id, "calm-room", "203.0.113.9", "success"]],
      );
    });

    test("choose: an invalid name is refused with the rule's words and nothing is written", async () => {
      const user = await givenUser();
      const clinicId = newId();
      assert.deepEqual(await chooseRoomName(db, user, clinicId, "-oops", null, new Date()), {
        ok: false,
        error: "invalid",
        message: "must not start or end with a hyphen",
      });
      assert.equal(await findRoomForUser(db, user.id), null);
      assert.deepEqual(await listAuditEvents(db, clinicId), []);
    });

    test("choose: a taken name is refused and the failure is recorded", async () => {
      await givenUser("busy-room");
      const user = await givenUser();
      const clinicId = newId();
      assert.deepEqual(await chooseRoomName(db, user, clinicId, "BUSY-ROOM", null, new Date()), {
        ok: false,
        error: "room_name_taken",
        message: "is taken",
      });
      assert.equal(await findRoomForUser(db, user.id), null);
      const events = await listAuditEvents(db, clinicId);
      assert.deepEqual(
        events.map((e) => [e.outcome, e.target, e.detail.reason]),
        [["failure", "busy-room", "room_name_taken"]],
      );
    });

    test("choose: asking again for the same room succeeds; asking for another is refused", async () => {
      const user = await givenUser();
      const clinicId = newId();
      const first = await chooseRoomName(db, user, clinicId, "first-room", null, new Date());
      const again = await chooseRoomName(db, user, clinicId, "First-Room", null, new Date());
      assert.ok(first.ok && again.ok);
      assert.equal(again.value.id, first.value.id);
      assert.deepEqual(await chooseRoomName(db, user, clinicId, "second-room", null, new Date()), { ok: false, error: "user_has_room" });
      assert.equal((await findRoomForUser(db, user.id))?.name, "first-room");
      const events = await listAuditEvents(db, clinicId);
      assert.deepEqual(events.map((e) => `${e.outcome} ${e.target}`).sort(), ["failure second-room", "success first-room"]);
    });

    test("choose: the same person's two concurrent requests for one name both end with that one room", async () => {
      const user = await givenUser();
      // Open pooled connections first (PostgreSQL), so the requests overlap instead of queueing behind a connect.
      await Promise.all([1, 2, 3].map(() => db.selectFrom("rooms").select("id").limit(1).execute()));
      const results = await Promise.all([1, 2, 3].map(() => chooseRoomName(db, user, newId(), "twin-click", null, new Date())));
      const ids = results.map((r) => (r.ok ? r.value.id : r.error));
      assert.equal(new Set(ids).size, 1, JSON.stringify(ids));
      const rooms = await db.selectFrom("rooms").select("id").where("user_id", "=", user.id).execute();
      assert.deepEqual(
        rooms.map((r) => r.id),
        [ids[0]],
      );
    });

    test("choose: two people racing for one name: exactly one wins", async () => {
      const [a, b] = [await givenUser(), await givenUser()];
      const results = await Promise.all([a, b].map((u) => chooseRoomName(db, u!, newId(), "contested", null, new Date())));
      assert.deepEqual(results.map((r) => (r.ok ? "ok" : r.error)).sort(), ["ok", "room_name_taken"]);
    });
  });
}
