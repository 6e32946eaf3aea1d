import type { Kysely } from "kysely";

// Migrations are frozen once released: add a new numbered file instead of editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // A clinic's SCIM bearer tokens: only the SHA-256 of each 256-bit random token is kept; several may be live for rotation.
  await db.schema
    .createTable("scim_tokens")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("token_hash", "varchar(64)", (c) => c.notNull().unique())
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .addColumn("created_by", "varchar(64)", (c) => c.notNull())
    .addColumn("last_used_at", "varchar(32)")
    .addColumn("revoked_at", "varchar(32)")
    .execute();
  await db.schema.createIndex("scim_tokens_clinic").on("scim_tokens").column("clinic_id").execute();

  // Members the IdP manages over SCIM: its userName and externalId for them. One account per person per clinic.
  await db.schema
    .createTable("scim_members")
    .addColumn("user_id", "varchar(36)", (c) => c.primaryKey().references("users.id").onDelete("cascade"))
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("user_name", "varchar(320)", (c) => c.notNull())
    .addColumn("external_id", "varchar(256)")
    .addColumn("given_name", "varchar(200)")
    .addColumn("family_name", "varchar(200)")
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    // Set by a SCIM DELETE: the membership is removed as in Manage Users and the resource answers 404 from then on.
    .addColumn("deleted_at", "varchar(32)")
    .execute();
  await db.schema.createIndex("scim_members_external_id").on("scim_members").columns(["clinic_id", "external_id"]).unique().execute();
  await db.schema.createIndex("scim_members_user_name").on("scim_members").columns(["clinic_id", "user_name"]).unique().execute();

  // Groups the IdP pushes; one of them (by display name) may stand for the clinic's admins.
  await db.schema
    .createTable("scim_groups")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("display_name", "varchar(256)", (c) => c.notNull())
    .addColumn("external_id", "varchar(256)")
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("scim_groups_display_name").on("scim_groups").columns(["clinic_id", "display_name"]).unique().execute();

  await db.schema
    .createTable("scim_group_members")
    .addColumn("group_id", "varchar(36)", (c) => c.notNull().references("scim_groups.id").onDelete("cascade"))
    .addColumn("user_id", "varchar(36)", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addPrimaryKeyConstraint("scim_group_members_pk", ["group_id", "user_id"])
    .execute();

  // Per clinic: which pushed group makes its members admins (none: groups change no role).
  await db.schema
    .createTable("scim_settings")
    .addColumn("clinic_id", "varchar(36)", (c) => c.primaryKey().references("clinics.id").onDelete("cascade"))
    .addColumn("admin_group", "varchar(256)")
    .execute();

  // The last SCIM requests of a clinic and how they ended, for its settings page (pruned as new ones arrive).
  await db.schema
    .createTable("scim_requests")
    .addColumn("id", "varchar(36)", (c) => c.primaryKey())
    .addColumn("clinic_id", "varchar(36)", (c) => c.notNull().references("clinics.id").onDelete("cascade"))
    .addColumn("token_id", "varchar(36)")
    .addColumn("at", "varchar(32)", (c) => c.notNull())
    .addColumn("method", "varchar(10)", (c) => c.notNull())
    .addColumn("path", "varchar(200)", (c) => c.notNull())
    .addColumn("status", "integer", (c) => c.notNull())
    .addColumn("outcome", "varchar(200)", (c) => c.notNull())
    .execute();
  await db.schema.createIndex("scim_requests_clinic_at").on("scim_requests").columns(["clinic_id", "at"]).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("scim_requests").execute();
  await db.schema.dropTable("scim_settings").execute();
  await db.schema.dropTable("scim_group_members").execute();
  await db.schema.dropTable("scim_groups").execute();
  await db.schema.dropTable("scim_members").execute();
  await db.schema.dropTable("scim_tokens").execute();
}
