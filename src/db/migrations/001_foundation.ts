import type { Kysely } from "kysely";

// Migrations are frozen once released: add a new numbered file instead of editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("clinics")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("subdomain", "varchar(63)", (c) => c.notNull().unique())
    .addColumn("name", "varchar(200)", (c) => c.notNull())
    .addColumn("seats", "integer", (c) => c.notNull())
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("email", "varchar(320)", (c) => c.notNull().unique())
    .addColumn("name", "varchar(200)", (c) => c.notNull())
    .addColumn("password_hash", "varchar(255)")
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("memberships")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("user_id", "varchar(36)", (c) => c.notNull().unique().references("users.id").onDelete("cascade"))
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("role", "varchar(16)", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .addColumn("last_sign_in_at", "varchar(32)")
    .addColumn("last_sign_in_method", "varchar(16)")
    .execute();
  await db.schema.createIndex("memberships_clinic").on("memberships").columns(["clinic_id", "status"]).execute();

  await db.schema
    .createTable("rooms")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("name", "varchar(40)", (c) => c.notNull().unique())
    .addColumn("user_id", "varchar(36)", (c) => c.notNull().unique().references("users.id").onDelete("cascade"))
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("sessions")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("user_id", "varchar(36)", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("clinic_id", "varchar(36)", (c) => c.references("clinics.id").onDelete("cascade"))
    .addColumn("auth_method", "varchar(16)", (c) => c.notNull())
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .addColumn("last_seen_at", "varchar(32)", (c) => c.notNull())
    .addColumn("expires_at", "varchar(32)", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sessions_user").on("sessions").column("user_id").execute();

  await db.schema
    .createTable("audit_events")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("at", "varchar(32)", (c) => c.notNull())
    .addColumn("actor", "varchar(64)", (c) => c.notNull())
    .addColumn("clinic_id", "varchar(36)")
    .addColumn("action", "varchar(64)", (c) => c.notNull())
    .addColumn("target", "varchar(320)")
    .addColumn("ip", "varchar(64)")
    .addColumn("outcome", "varchar(16)", (c) => c.notNull())
    .addColumn("detail", "text", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("audit_events_clinic_at").on("audit_events").columns(["clinic_id", "at"]).execute();
  await db.schema.createIndex("audit_events_action_target").on("audit_events").columns(["action", "target", "at"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["audit_events", "sessions", "rooms", "memberships", "users", "clinics"]) {
    await db.schema.dropTable(table).execute();
  }
}
