import { Migrator, PostgresAdapter, sql, type Migration, type MigrationProvider } from "kysely";
import { openDatabase, type Db } from "./open.js";
import * as m001 from "./migrations/001_foundation.js";
import * as m002 from "./migrations/002_saml.js";
import * as m003 from "./migrations/003_invitations.js";
import * as m004 from "./migrations/004_sign_in_security.js";
import * as m005 from "./migrations/005_sso_events_and_flash.js";
import * as m006 from "./migrations/006_waiting_room.js";
import * as m007 from "./migrations/007_sso_test_sign_in.js";
import * as m008 from "./migrations/008_notifications.js";
import * as m009 from "./migrations/009_domains_and_recovery.js";
import * as m010 from "./migrations/010_scim.js";
import * as m011 from "./migrations/011_sso_events_by_time.js";

// Listed explicitly (no folder scanning) so the compiled build and the tests run the same set.
const migrations: Record<string, Migration> = {
  "001_foundation": m001,
  "002_saml": m002,
  "003_invitations": m003,
  "004_sign_in_security": m004,
  "005_sso_events_and_flash": m005,
  "006_waiting_room": m006,
  "007_sso_test_sign_in": m007,
  "008_notifications": m008,
  "009_domains_and_recovery": m009,
  "010_scim": m010,
  "011_sso_events_by_time": m011,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/** Applies every pending migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Db): Promise<string[]> {
  // Kysely looks for its bookkeeping tables in every schema; on PostgreSQL pin them to the connection's own
  // schema, so two deployments (or test runs) sharing a database in different schemas never see each other's.
  const migrationTableSchema = db.getExecutor().adapter instanceof PostgresAdapter ? await currentSchema(db) : undefined;
  const migrator = new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new Error(`Migration ${failed?.migrationName ?? "(unknown)"} failed: ${detail}`);
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}

/**
 * Applies every pending migration before the app serves from `url`. On PostgreSQL they run on connections of
 * their own, without the statement time limit of requests (an index on a big table takes minutes); on SQLite,
 * whose handle has no such limit, on `db` itself (an in-memory database exists only there).
 */
export async function migrateBeforeServing(db: Db, url: string): Promise<string[]> {
  if (url.startsWith("sqlite:")) return migrateToLatest(db);
  const unlimited = await openDatabase(url, { statementTimeoutMs: null });
  try {
    return await migrateToLatest(unlimited.db);
  } finally {
    await unlimited.db.destroy();
  }
}

async function currentSchema(db: Db): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return rows[0]!.schema;
}
