import { sql, type Kysely } from "kysely";

// Migrations are frozen once released: add a new numbered file instead of editing this one.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Posts whose signature did not verify are folded into one row per address while they keep coming.
  await db.schema
    .alterTable("sso_events")
    .addColumn("signature_verified", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema
    .alterTable("sso_events")
    .addColumn("count", "integer", (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable("sso_events").addColumn("first_at", "varchar(32)").execute();
  await sql`update sso_events set first_at = at`.execute(db);
  await db.schema
    .createIndex("sso_events_clinic_unverified_ip")
    .on("sso_events")
    .columns(["clinic_id", "signature_verified", "ip"])
    .execute();

  // What a removed person was before removal: an invitee comes back as an invitee, never as an active member.
  await db.schema.alterTable("memberships").addColumn("status_before_removal", "varchar(16)").execute();
  await sql`update memberships set status_before_removal = 'active' where status = 'deactivated'`.execute(db);
  await sql`update memberships set status_before_removal = 'invited'
    where status = 'deactivated'
      and exists (select 1 from invitations i where i.user_id = memberships.user_id and i.accepted_at is null)`.execute(db);

  // A notice for the next page this session renders, consumed once.
  await db.schema
    .createTable("session_flashes")
    .addColumn("session_id", "varchar(64)", (c) => c.primaryKey().references("sessions.id").onDelete("cascade"))
    .addColumn("notice", "varchar(2048)", (c) => c.notNull())
    .addColumn("created_at", "varchar(32)", (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("session_flashes").execute();
  await db.schema.alterTable("memberships").dropColumn("status_before_removal").execute();
  await db.schema.dropIndex("sso_events_clinic_unverified_ip").execute();
  for (const column of ["first_at", "count", "signature_verified"]) {
    await db.schema.alterTable("sso_events").dropColumn(column).execute();
  }
}
