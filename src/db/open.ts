import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;
export type Dialect = "sqlite" | "postgres";

export interface OpenDatabase {
  db: Db;
  dialect: Dialect;
}

/** Opens the database named by a `sqlite:PATH` or `postgres://…` URL and checks that it answers. */
export async function openDatabase(url: string): Promise<OpenDatabase> {
  const opened = url.startsWith("sqlite:") ? openSqlite(url.slice("sqlite:".length)) : openPostgres(url);
  try {
    await sql`select 1`.execute(opened.db);
  } catch (error) {
    await opened.db.destroy().catch(() => undefined);
    throw new DatabaseUnreachableError(describeDatabase(url), error);
  }
  return opened;
}

function openSqlite(path: string): OpenDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new SqliteDatabase(path);
  // WAL lets readers proceed during a write; busy_timeout waits for a lock instead of failing at once. The wait
  // blocks this process (better-sqlite3 is synchronous), so it stays short: past it, the request gets the 503 page.
  database.pragma("journal_mode = WAL");
  database.pragma("busy_timeout = 5000");
  database.pragma("foreign_keys = ON");
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), dialect: "sqlite" };
}

function openPostgres(url: string): OpenDatabase {
  const pool = new pg.Pool({ connectionString: url, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  // Nor one losing it mid-query (a failover, a killed backend): that query fails with the error, the process lives on.
  pool.on("connect", (client) => client.on("error", () => undefined));
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), dialect: "postgres" };
}

/** The URL without its password, safe for a log line or an error message. */
export function describeDatabase(url: string): string {
  if (url.startsWith("sqlite:")) return url;
  try {
    const parsed = new URL(url);
    parsed.password = parsed.password ? "***" : "";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "postgres (unparseable URL)";
  }
}

export class DatabaseUnreachableError extends Error {
  constructor(where: string, cause: unknown) {
    const why = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    super(`Cannot reach the database at ${where}: ${why}`);
  }
}
