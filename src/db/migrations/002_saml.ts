import type { Kysely } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("saml_connections")
    .addColumn("clinic_id", "varchar(36)", (c) => c.primaryKey().references("clinics.id").onDelete("cascade"))
    .addColumn("preset", "varchar(16)", (c) => c.notNull())
    .addColumn("idp_entity_id", "varchar(1024)", (c) => c.notNull())
    .addColumn("idp_sso_url", "varchar(2048)", (c) => c.notNull())
    .addColumn("idp_sso_binding", "varchar(16)", (c) => c.notNull())
    .addColumn("idp_certificates", "text", (c) => c.notNull())
    .addColumn("enabled", "integer", (c) => c.notNull())
    .addColumn("allow_idp_initiated", "integer", (c) => c.notNull())
    .addColumn("jit_provisioning", "integer", (c) => c.notNull())
    .addColumn("enforce_sso", "integer", (c) => c.notNull())
    .addColumn("source", "varchar(2048)", (c) => c.notNull())
    .addColumn("last_success_at", "varchar(32)")
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .addColumn("updated_at", "varchar(32)", (c) => c.notNull())
    .execute();

  await db.schema
    .createTable("saml_requests")
    .addColumn("id", "varchar(64)", (c) => c.primaryKey())
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("return_to", "varchar(512)", (c) => c.notNull())
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .addColumn("expires_at", "varchar(32)", (c) => c.notNull())
    .addColumn("consumed_at", "varchar(32)")
    .execute();
  await db.schema.createIndex("saml_requests_expires").on("saml_requests").column("expires_at").execute();

  await db.schema
    .createTable("saml_assertions_seen")
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("assertion_id", "varchar(256)", (c) => c.notNull())
    .addColumn("expires_at", "varchar(32)", (c) => c.notNull())
    .addPrimaryKeyConstraint("saml_assertions_seen_pk", ["clinic_id", "assertion_id"])
    .execute();
  await db.schema.createIndex("saml_assertions_seen_expires").on("saml_assertions_seen").column("expires_at").execute();

  await db.schema
    .createTable("sso_events")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("at", "varchar(32)", (c) => c.notNull())
    .addColumn("outcome", "varchar(16)", (c) => c.notNull())
    .addColumn("code", "varchar(64)", (c) => c.notNull())
    .addColumn("reason", "varchar(2048)", (c) => c.notNull())
    .addColumn("email", "varchar(320)")
    .addColumn("reference", "varchar(16)", (c) => c.notNull())
    .addColumn("ip", "varchar(64)")
    .execute();
  await db.schema.createIndex("sso_events_clinic_at").on("sso_events").columns(["clinic_id", "at"]).execute();

  await db.schema
    .createTable("demo_idp_keys")
    .addColumn("id", "varchar(16)", (c) => c.primaryKey())
    .addColumn("private_key_pem", "text", (c) => c.notNull())
    .addColumn("certificate_pem", "text", (c) => c.notNull())
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["demo_idp_keys", "sso_events", "saml_assertions_seen", "saml_requests", "saml_connections"]) {
    await db.schema.dropTable(table).execute();
  }
}
