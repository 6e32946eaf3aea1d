import type { Kysely } from "kysely";

// Migrations are frozen once released: add a new numbered file instead of editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Failed password sign-ins, the throttle's memory: shared by every app instance, forgotten after a day.
  await db.schema
    .createTable("sign_in_failures")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("account", "varchar(320)", (c) => c.notNull())
    .addColumn("address", "varchar(64)", (c) => c.notNull())
    .addColumn("at", "varchar(32)", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("sign_in_failures_account_address").on("sign_in_failures").columns(["account", "address", "at"]).execute();
  await db.schema.createIndex("sign_in_failures_address").on("sign_in_failures").columns(["address", "at"]).execute();
  await db.schema.createIndex("sign_in_failures_at").on("sign_in_failures").column("at").execute();
  // SHA-256 of the cookie of the browser that started the sign-in; rows written before this column are refused.
  await db.schema.alterTable("saml_requests").addColumn("browser_binding_hash", "varchar(64)").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("saml_requests").dropColumn("browser_binding_hash").execute();
  await db.schema.dropTable("sign_in_failures").execute();
}
