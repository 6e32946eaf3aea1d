import type { Kysely } from "kysely";

// Migrations are frozen once released: add a new numbered file instead of editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // A sign-in request started by the "Test sign-in" button: its answer is diagnosed, never signed in.
  // null: a real sign-in; "current": trust the connection's certificates; "next": trust only the staged next one.
  await db.schema.alterTable("saml_requests").addColumn("test_certificates", "varchar(8)").execute();
  // The settings fingerprint of the connection's last passing test sign-in: turning the connection on requires it to match.
  await db.schema.alterTable("saml_connections").addColumn("tested_settings", "varchar(64)").execute();
  // The fix shown beside a failed attempt, in the IdP's own terms, as the diagnosis gave it when it happened.
  await db.schema.alterTable("sso_events").addColumn("fix", "varchar(1000)").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("sso_events").dropColumn("fix").execute();
  await db.schema.alterTable("saml_connections").dropColumn("tested_settings").execute();
  await db.schema.alterTable("saml_requests").dropColumn("test_certificates").execute();
}
