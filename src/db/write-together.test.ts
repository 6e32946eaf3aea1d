import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";
import { testDialects } from "../../test/support/databases.js";
import { openMigratedDatabase, type MigratedDatabase } from "../../test/support/test-database.js";
import { writeTogether } from "./write-together.js";

/** Counts the statements the database answered (a builder embedded in another statement is not one). */
class StatementCounter implements KyselyPlugin {
  count = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    this.count += 1;
    return args.result;
  }
}

for (const dialect of testDialects()) {
  describe(`writes together (${dialect})`, () => {
    let m: MigratedDatabase;
    before(async () => (m = await openMigratedDatabase(dialect)));
    after(() => m.close());

    const ended = (id: string) => ({ id, reason: "removed" as const, ended_at: "2026-12-01" });
    const idsLike = async (prefix: string) =>
      (await m.db.selectFrom("ended_sessions").select(["id", "ended_at"]).where("id", "like", `${prefix}%`).orderBy("id").execute()).map(
        (row) => `${row.id}:${row.ended_at}`,
      );

    test("makes every write given, skipping the nulls, in one statement on PostgreSQL and one each on SQLite", async () => {
      await m.db.insertInto("ended_sessions").values(ended("all-c")).execute();
      const counter = new StatementCounter();
      const db = m.db.withPlugin(counter);
      await writeTogether(db, [
        db.insertInto("ended_sessions").values(ended("all-a")),
        null,
        db.insertInto("ended_sessions").values(ended("all-b")),
        db.updateTable("ended_sessions").set({ ended_at: "2026-12-02" }).where("id", "=", "all-c"),
      ]);
      assert.deepEqual(await idsLike("all-"), ["all-a:2026-12-01", "all-b:2026-12-01", "all-c:2026-12-02"]);
      assert.equal(counter.count, dialect === "postgres" ? 1 : 3);
    });

    test("in a transaction, one write failing leaves none of them", async () => {
      await m.db.insertInto("ended_sessions").values(ended("none-taken")).execute();
      await assert.rejects(
        m.db.transaction().execute((trx) =>
          writeTogether(trx, [
            trx.insertInto("ended_sessions").values(ended("none-a")),
            // The same primary key again: the statement fails.
            trx.insertInto("ended_sessions").values(ended("none-taken")),
            trx.updateTable("ended_sessions").set({ ended_at: "2026-12-02" }).where("id", "=", "none-taken"),
          ]),
        ),
      );
      assert.deepEqual(await idsLike("none-"), ["none-taken:2026-12-01"]);
    });

    test("no write at all sends nothing", async () => {
      const counter = new StatementCounter();
      await writeTogether(m.db.withPlugin(counter), [null, null]);
      assert.equal(counter.count, 0);
    });
  });
}
