import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Dialect } from "../../src/db/open.js";

export interface TestDatabase {
  dialect: Dialect;
  url: string;
  /** Removes everything this database held. */
  drop(): Promise<void>;
}

/** PostgreSQL joins the run when DATABASE_URL points at one (CI sets it); SQLite always runs. */
export function testDialects(): Dialect[] {
  return postgresUrl() ? ["sqlite", "postgres"] : ["sqlite"];
}

function postgresUrl(): string | null {
  const url = process.env.DATABASE_URL;
  return url && /^postgres(ql)?:\/\//.test(url) ? url : null;
}

/** A fresh, empty database of one dialect: a temp SQLite file, or a PostgreSQL schema of its own. */
export async function createTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "clinic-test-"));
    return { dialect, url: `sqlite:${join(dir, "app.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const base = postgresUrl();
  if (!base) throw new Error("DATABASE_URL must point at PostgreSQL for postgres tests");
  // Each test gets its own schema, so parallel test files and repeated runs never see each other's rows.
  const schema = `test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(base);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    dialect,
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      await client.query(`drop schema ${schema} cascade`);
      await client.end();
    },
  };
}
