import type { Kysely } from "kysely";

// Migrations are frozen once released: add a new numbered file instead of editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // What a clinic's admins are told about their clinic (certificate expiry, a metadata change to approve, …),
  // shown on the dashboard and the Single sign-on page until an admin dismisses it.
  await db.schema
    .createTable("notifications")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("kind", "varchar(40)", (c) => c.notNull())
    // The same situation reported again while its notice is still open adds no second one; null: never folded.
    .addColumn("dedupe_key", "varchar(200)")
    .addColumn("detail", "text", (c) => c.notNull())
    // The admin whose own action this reports (break-glass use): the notice is for the others.
    .addColumn("actor_user_id", "varchar(36)")
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .addColumn("dismissed_at", "varchar(32)")
    .addColumn("dismissed_by", "varchar(36)")
    .execute();
  await db.schema.createIndex("notifications_open").on("notifications").columns(["clinic_id", "dismissed_at", "created_at"]).execute();

  // A re-fetched metadata URL that differs from the connection: kept until an admin approves or rejects it.
  await db.schema
    .createTable("saml_metadata_changes")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("metadata_url", "text", (c) => c.notNull())
    // The IdP settings as the connection had them when the change was found, and as the metadata now says.
    .addColumn("before_settings", "text", (c) => c.notNull())
    .addColumn("after_settings", "text", (c) => c.notNull())
    .addColumn("status", "varchar(16)", (c) => c.notNull())
    .addColumn("found_at", "varchar(32)", (c) => c.notNull())
    .addColumn("decided_at", "varchar(32)")
    .addColumn("decided_by", "varchar(64)")
    .execute();
  await db.schema.createIndex("saml_metadata_changes_clinic").on("saml_metadata_changes").columns(["clinic_id", "status"]).execute();

  // One warning per certificate and threshold (60, 30, 7 days): the primary key makes "once" hold across instances.
  await db.schema
    .createTable("saml_certificate_warnings")
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("fingerprint_sha256", "varchar(100)", (c) => c.notNull())
    .addColumn("threshold_days", "integer", (c) => c.notNull())
    .addColumn("warned_at", "varchar(32)", (c) => c.notNull())
    .addPrimaryKeyConstraint("saml_certificate_warnings_pk", ["clinic_id", "fingerprint_sha256", "threshold_days"])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("saml_certificate_warnings").execute();
  await db.schema.dropTable("saml_metadata_changes").execute();
  await db.schema.dropTable("notifications").execute();
}
