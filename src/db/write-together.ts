import { PostgresAdapter, sql, type Compilable } from "kysely";
import type { Db } from "./open.js";

/** An insert, update or delete built but not yet run: the module that owns the table builds it, writeTogether runs it. */
export type Write = Compilable;

/**
 * Runs independent writes in one statement where the database allows it. On PostgreSQL each write becomes a
 * data-modifying CTE of a single statement: one round trip instead of one each, and all or none like any statement.
 * On SQLite, which has no data-modifying CTEs and no round trips (it runs in this process), they run one by one, in
 * the caller's transaction. PostgreSQL runs them on one snapshot in no set order, so none may depend on another's
 * effect or touch a row another writes. A null stands for a write the caller found it need not make.
 */
export async function writeTogether(db: Db, maybeWrites: ReadonlyArray<Write | null>): Promise<void> {
  const writes = maybeWrites.filter((write): write is Write => write !== null);
  if (writes.length === 0) return;
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    // Named w0, w1…: PostgreSQL runs every data-modifying CTE to completion, whether or not the main query reads it.
    const ctes = writes.map((write, i) => sql`${sql.id(`w${i}`)} as (${write})`);
    await sql`with ${sql.join(ctes)} select 1`.execute(db);
    return;
  }
  for (const write of writes) await db.executeQuery(write.compile());
}
