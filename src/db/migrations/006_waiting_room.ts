import type { Kysely } from "kysely";

// Migrations are frozen once released: add a new numbered file instead of editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Patients waiting in a provider's room: no account, only a name and the hash of their browser's token.
  await db.schema
    .createTable("waiting_patients")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("room_id", "varchar(36)", (c) => c.notNull().references("rooms.id").onDelete("cascade"))
    .addColumn("token_hash", "varchar(64)", (c) => c.notNull().unique())
    .addColumn("name", "varchar(200)", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("joined_at", "varchar(32)", (c) => c.notNull())
    .addColumn("last_seen_at", "varchar(32)", (c) => c.notNull())
    .addColumn("updated_at", "varchar(32)", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("waiting_patients_room").on("waiting_patients").columns(["room_id", "status"]).execute();

  // Why a session ended before its time (removed by an admin), kept a short while so the sign-in page can say so.
  await db.schema
    .createTable("ended_sessions")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("reason", "varchar(32)", (c) => c.notNull())
    .addColumn("ended_at", "varchar(32)", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("ended_sessions").execute();
  await db.schema.dropTable("waiting_patients").execute();
}
