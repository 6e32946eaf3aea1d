import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sql } from "kysely";
import { createTestDatabase, testDialects } from "../../test/support/databases.js";
import { isDatabaseUnavailable } from "./errors.js";
import { openDatabase } from "./open.js";

describe("the statement time limit (postgres)", { skip: !testDialects().includes("postgres") && "needs DATABASE_URL on PostgreSQL" }, () => {
  const sleep = sql`select pg_sleep(0.4)`;

  test("a statement past the limit is cancelled, as the database being unavailable (57014)", async () => {
    const database = await createTestDatabase("postgres");
    const { db } = await openDatabase(database.url, { statementTimeoutMs: 100 });
    try {
      await assert.rejects(sleep.execute(db), (error: unknown) => (error as { code?: string }).code === "57014" && isDatabaseUnavailable(error));
    } finally {
      await db.destroy();
      await database.drop();
    }
  });

  test("without a limit (migrations, the CLI) the same statement runs to its end", async () => {
    const database = await createTestDatabase("postgres");
    const { db } = await openDatabase(database.url, { statementTimeoutMs: null });
    try {
      await sleep.execute(db);
    } finally {
      await db.destroy();
      await database.drop();
    }
  });
});
