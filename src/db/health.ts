import { sql } from "kysely";
import type { Db } from "./open.js";

/** Resolves once the database answers a trivial query; rejects with the driver's error when it cannot. */
export async function pingDatabase(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}
