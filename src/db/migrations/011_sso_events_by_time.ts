import type { Kysely } from "kysely";

// Migrations are frozen once released: add a new numbered file instead of editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // The periodic clean-up deletes every clinic's events past the retention period at once: found by time alone.
  await db.schema.createIndex("sso_events_at").on("sso_events").column("at").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex("sso_events_at").execute();
}
