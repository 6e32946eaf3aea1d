import type { Clinic } from "../../src/clinics/clinic.js";
import { createClinic } from "../../src/clinics/clinic.queries.js";
import { migrateToLatest } from "../../src/db/migrate.js";
import { openDatabase, type Db, type Dialect } from "../../src/db/open.js";
import { createTestDatabase } from "./databases.js";

export interface MigratedDatabase {
  db: Db;
  /** A new clinic of its own for each test. */
  givenClinic(seats?: number): Promise<Clinic>;
  close(): Promise<void>;
}

/** A fresh, migrated database of one dialect, for module tests that need no HTTP server. */
export async function openMigratedDatabase(dialect: Dialect): Promise<MigratedDatabase> {
  const database = await createTestDatabase(dialect);
  const { db } = await openDatabase(database.url);
  await migrateToLatest(db);
  let counter = 0;
  return {
    db,
    async givenClinic(seats = 5) {
      counter += 1;
      const created = await createClinic(db, { subdomain: `module-${process.pid}-${counter}`, name: "Module Clinic", seats }, new Date());
      if (!created.ok) throw new Error(created.error);
      return created.value;
    },
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}
