import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { testDialects, createTestDatabase, type TestDatabase } from "../../test/support/databases.js";
import { createClinic } from "../clinics/clinic.queries.js";
import type { Clinic } from "../clinics/clinic.js";
import { uniqueViolationTarget } from "../db/errors.js";
import { migrateToLatest } from "../db/migrate.js";
import { openDatabase, type Db } from "../db/open.js";
import { addClinicMember, addMemberRefusalOf, addMemberTakingSeat } from "./add-member.js";

const by = { actor: "test", ip: null };
const person = (email: string, roomName?: string) =>
  ({ email, name: "Pat Member", role: "provider", status: "active", passwordHash: null, roomName }) as const;

for (const dialect of testDialects()) {
  describe(`one member-and-seat function (${dialect})`, () => {
    let database: TestDatabase;
    let db: Db;
    let counter = 0;
    before(async () => {
      database = await createTestDatabase(dialect);
      db = (await openDatabase(database.url)).db;
      await migrateToLatest(db);
    });
    after(async () => {
      await db.destroy();
      await database.drop();
    });

    async function givenClinic(seats: number): Promise<Clinic> {
      counter += 1;
      const created = await createClinic(db, { subdomain: `seats-${counter}`, name: "Seat Clinic", seats }, new Date());
      assert.ok(created.ok);
      return created.value;
    }

    test("names the unique index a concurrent insert hit, from the engine's own fields", async () => {
      const clinic = await givenClinic(5);
      await addClinicMember(
        db,
        clinic,
        { email: "taken@seats.example", name: "A", role: "provider", roomName: "taken-room" },
        by,
        new Date(),
      );
      const user = { id: "u-dup", email: "taken@seats.example", name: "B", password_hash: null, created_at: new Date().toISOString() };
      const duplicateEmail = await db
        .insertInto("users")
        .values(user)
        .execute()
        .catch((error: unknown) => error);
      assert.equal(uniqueViolationTarget(duplicateEmail), "users.email");
      assert.equal(addMemberRefusalOf(duplicateEmail), "email_taken");
      await db
        .insertInto("users")
        .values({ ...user, email: "other@seats.example" })
        .execute();
      const room = { id: "r-dup", name: "taken-room", user_id: "u-dup", created_at: user.created_at };
      const duplicateRoom = await db
        .insertInto("rooms")
        .values(room)
        .execute()
        .catch((error: unknown) => error);
      assert.equal(uniqueViolationTarget(duplicateRoom), "rooms.name");
      assert.equal(addMemberRefusalOf(duplicateRoom), "room_name_taken");
      assert.equal(uniqueViolationTarget(new Error("UNIQUE constraint failed: rooms.name")), null, "not a database error");
    });

    test("a refusal writes nothing: no seat, no user, no audit event", async () => {
      const clinic = await givenClinic(1);
      const first = await db
        .transaction()
        .execute((trx) => addMemberTakingSeat(trx, clinic, person("one@seats.example"), { action: "member.add", by }, new Date()));
      assert.ok(first.ok);
      const audits = async () => (await db.selectFrom("audit_events").select("id").where("clinic_id", "=", clinic.id).execute()).length;
      const before = await audits();
      const second = await db
        .transaction()
        .execute((trx) =>
          addMemberTakingSeat(trx, clinic, person("two@seats.example"), { action: "member.jit_provision", by }, new Date()),
        );
      assert.deepEqual(second, { ok: false, error: "seat_limit_reached" });
      assert.equal(await db.selectFrom("users").select("id").where("email", "=", "two@seats.example").executeTakeFirst(), undefined);
      assert.equal(await audits(), before);
    });

    test("a taken room name refuses before the user is inserted", async () => {
      const clinic = await givenClinic(5);
      await addClinicMember(
        db,
        clinic,
        { email: "room1@seats.example", name: "A", role: "provider", roomName: "shared-room" },
        by,
        new Date(),
      );
      const added = await addClinicMember(
        db,
        clinic,
        { email: "room2@seats.example", name: "B", role: "provider", roomName: "shared-room" },
        by,
        new Date(),
      );
      assert.deepEqual(added, { ok: false, error: "room_name_taken" });
      assert.equal(await db.selectFrom("users").select("id").where("email", "=", "room2@seats.example").executeTakeFirst(), undefined);
    });
  });
}
