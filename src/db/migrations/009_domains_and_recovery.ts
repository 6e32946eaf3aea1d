import type { Kysely } from "kysely";

// Migrations are frozen once released: add a new numbered file instead of editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // A clinic's email domains: its SSO and JIT accept only these addresses. The primary key makes a domain one clinic's.
  await db.schema
    .createTable("clinic_email_domains")
    .addColumn("domain", "varchar(253)", (c) => c.primaryKey())
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("clinic_email_domains_clinic").on("clinic_email_domains").column("clinic_id").execute();

  // One-time recovery codes of a clinic admin: only the SHA-256 of each 128-bit random code is kept.
  await db.schema
    .createTable("recovery_codes")
    .addColumn("code_hash", "varchar(64)", (c) => c.primaryKey())
    .addColumn("user_id", "varchar(36)", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .addColumn("used_at", "varchar(32)")
    .execute();
  await db.schema.createIndex("recovery_codes_user").on("recovery_codes").column("user_id").execute();

  // Main site → clinic host hand-offs for an admin: short-lived, single use, only the token's SHA-256 kept.
  await db.schema
    .createTable("settings_handoffs")
    .addColumn("token_hash", "varchar(64)", (c) => c.primaryKey())
    .addColumn("user_id", "varchar(36)", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("expires_at", "varchar(32)", (c) => c.notNull())
    .addColumn("used_at", "varchar(32)")
    .execute();

  // What a session may open: "full", or "settings" (a break-glass session that reaches only the clinic settings).
  await db.schema
    .alterTable("sessions")
    .addColumn("scope", "varchar(16)", (c) => c.notNull().defaultTo("full"))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("sessions").dropColumn("scope").execute();
  await db.schema.dropTable("settings_handoffs").execute();
  await db.schema.dropTable("recovery_codes").execute();
  await db.schema.dropTable("clinic_email_domains").execute();
}
