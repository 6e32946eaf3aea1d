import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql, type PostgresCursor, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from "kysely";
import pg from "pg";
import type { Database } from "./schema.js";

export type Db = Kysely<Database>;
export type Dialect = "sqlite" | "postgres";

export interface OpenDatabase {
  db: Db;
  dialect: Dialect;
}

/**
 * How long one statement may run, or wait for a lock, before it is given up: the request gets the 503 page instead
 * of waiting with every request behind it. Sign-in statements take milliseconds.
 */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;

export interface DatabaseLimits {
  /** See DEFAULT_STATEMENT_TIMEOUT_MS; null for none on PostgreSQL (migrations: an index on a big table takes minutes). */
  statementTimeoutMs: number | null;
}

/** Opens the database named by a `sqlite:PATH` or `postgres://…` URL and checks that it answers. */
export async function openDatabase(
  url: string,
  { statementTimeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS }: Partial<DatabaseLimits> = {},
): Promise<OpenDatabase> {
  const opened = url.startsWith("sqlite:")
    ? openSqlite(url.slice("sqlite:".length), statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS)
    : openPostgres(url, statementTimeoutMs);
  try {
    await sql`select 1`.execute(opened.db);
  } catch (error) {
    await opened.db.destroy().catch(() => undefined);
    throw new DatabaseUnreachableError(describeDatabase(url), error);
  }
  return opened;
}

function openSqlite(path: string, busyTimeoutMs: number): OpenDatabase {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const database = new SqliteDatabase(path);
  // WAL lets readers proceed during a write; busy_timeout waits for a lock instead of failing at once. The wait
  // blocks this process (better-sqlite3 is synchronous), so it stays short: past it, the request gets the 503 page.
  database.pragma("journal_mode = WAL");
  database.pragma(`busy_timeout = ${busyTimeoutMs}`);
  database.pragma("foreign_keys = ON");
  return { db: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), dialect: "sqlite" };
}

function openPostgres(url: string, statementTimeoutMs: number | null): OpenDatabase {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: 5000,
    // An idle connection whose server vanished (a failover, a dead host) is found by TCP's probes and dropped,
    // not kept for the operating system's default of two hours.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(statementTimeoutMs === null
      ? {}
      : {
          // The server cancels a statement past its time (a lock held elsewhere, a slow plan): error 57014.
          statement_timeout: statementTimeoutMs,
          // A server that stopped answering altogether cannot cancel anything: past the same time and a grace for
          // the cancel to arrive, the query fails here, and dropStalledConnections takes its connection out.
          query_timeout: statementTimeoutMs + CANCEL_GRACE_MS,
          // A transaction whose client vanished mid-way releases its locks instead of holding them for hours.
          idle_in_transaction_session_timeout: ABANDONED_TRANSACTION_MS,
        }),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", () => undefined);
  // Nor one losing it mid-query (a failover, a killed backend): that query fails with the error, the process lives on.
  pool.on("connect", (client) => client.on("error", () => undefined));
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: dropStalledConnections(pool) }) }), dialect: "postgres" };
}

const CANCEL_GRACE_MS = 2000;
const ABANDONED_TRANSACTION_MS = 60_000;
const READ_TIMEOUT = /^Query read timeout$/;

/**
 * The pool as Kysely sees it, except that a connection whose query outlived its read timeout is closed, not
 * reused. pg leaves such a query waiting for an answer that may never come, with the next queries queued behind
 * it: back in the pool, the connection would fail every request it served until TCP gave up, many minutes later.
 */
function dropStalledConnections(pool: pg.Pool): PostgresPool {
  // One wrapper per pg client, as Kysely keeps one connection object per client it is given.
  const wrappers = new WeakMap<pg.PoolClient, StallAwareClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      const wrapper = wrappers.get(client) ?? new StallAwareClient(client);
      wrappers.set(client, wrapper);
      return wrapper;
    },
    end: () => pool.end(),
  };
}

class StallAwareClient implements PostgresPoolClient {
  #stalled = false;
  constructor(private readonly client: pg.PoolClient) {}

  query<R>(sqlText: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(textOrCursor: string | PostgresCursor<R>, parameters: ReadonlyArray<unknown> = []) {
    if (typeof textOrCursor !== "string") return this.client.query(textOrCursor as never) as PostgresCursor<R>;
    return this.#run<R>(textOrCursor, parameters);
  }

  async #run<R>(sqlText: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
    // Its other queries until release fail at once: a transaction's ROLLBACK does not wait out a second timeout.
    if (this.#stalled) throw new Error("Query read timeout");
    try {
      // Kysely hands over a fresh array of its own: no copy.
      return (await this.client.query(sqlText, parameters as unknown[])) as unknown as PostgresQueryResult<R>;
    } catch (error) {
      if (error instanceof Error && READ_TIMEOUT.test(error.message)) this.#stalled = true;
      throw error;
    }
  }

  release(destroy?: boolean): void {
    this.client.release(destroy === true || this.#stalled);
  }
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
