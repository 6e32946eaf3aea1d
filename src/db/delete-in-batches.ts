/**
 * Rows one clean-up statement deletes at most: however large a backlog (a long outage, a shorter retention just
 * set), each statement stays far inside the statement time limit and holds its locks briefly.
 */
export const CLEAN_UP_BATCH = 5000;

/**
 * Runs `deleteBatch` (a DELETE of at most `limit` rows) until one deletes fewer than `limit`; answers how many
 * rows went in all.
 */
export async function deleteInBatches(
  deleteBatch: (limit: number) => Promise<{ numDeletedRows: bigint }>,
  limit = CLEAN_UP_BATCH,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const { numDeletedRows } = await deleteBatch(limit);
    deleted += Number(numDeletedRows);
    if (numDeletedRows < BigInt(limit)) return deleted;
  }
}
