import type { Db } from "../db/open.js";
import { newId, nowIso } from "../ids.js";

// Five failures for one account from one address are free (typos); each further one doubles the wait: 1, 2, 4 … minutes.
export const FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5;
export const FIRST_WAIT_MS = 60_000;
// The wait never grows past an hour: the owner behind the same address is slowed, never shut out for days.
export const LONGEST_WAIT_MS = 60 * 60_000;
// One address failing for many accounts is password spraying: fifty failures an hour from it, whatever the accounts.
export const ADDRESS_FAILURE_LIMIT = 50;
export const ADDRESS_FAILURE_WINDOW_MS = 60 * 60_000;
// Failures are forgotten after a day, or at the next successful sign-in of that account from that address.
export const FAILURE_MEMORY_MS = 24 * 3_600_000;

/** How long to wait after the nth failure of one account from one address (0 while the failures are still free). */
export function waitAfterFailures(failures: number): number {
  if (failures < FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS) return 0;
  return Math.min(FIRST_WAIT_MS * 2 ** (failures - FREE_FAILURES_PER_ACCOUNT_AND_ADDRESS), LONGEST_WAIT_MS);
}

/**
 * The address a client is throttled by: IPv4 as is (also when IPv4-mapped), IPv6 by its /64 network, since one
 * subscriber is handed a whole /64 and could otherwise try from a new address every time.
 */
export function throttledAddress(ip: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!ip.includes(":")) return ip;
  const [head = "", tail] = ip.toLowerCase().split("%")[0]!.split("::");
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const full = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${full
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * When the next password attempt for this account from this address may be made, or null if it may be made now.
 * Only failures count, never attempts the throttle refused: waiting out the wait always ends it.
 */
export async function findSignInWait(db: Db, account: string, ip: string, now: Date): Promise<Date | null> {
  const address = throttledAddress(ip);
  const mine = await db
    .selectFrom("sign_in_failures")
    .select((eb) => [eb.fn.countAll<string | number>().as("failures"), eb.fn.max("at").as("last")])
    .where("account", "=", account)
    .where("address", "=", address)
    .where("at", ">=", nowIso(new Date(now.getTime() - FAILURE_MEMORY_MS)))
    .executeTakeFirstOrThrow();
  const accountWait = mine.last ? new Date(new Date(mine.last).getTime() + waitAfterFailures(Number(mine.failures))) : null;
  // The limit-th most recent failure of this address: once it is an hour old, the address is below the limit again.
  const oldestCounted = await db
    .selectFrom("sign_in_failures")
    .select("at")
    .where("address", "=", address)
    .where("at", ">=", nowIso(new Date(now.getTime() - ADDRESS_FAILURE_WINDOW_MS)))
    .orderBy("at", "desc")
    .limit(1)
    .offset(ADDRESS_FAILURE_LIMIT - 1)
    .executeTakeFirst();
  const addressWait = oldestCounted ? new Date(new Date(oldestCounted.at).getTime() + ADDRESS_FAILURE_WINDOW_MS) : null;
  const until = [accountWait, addressWait].filter((d): d is Date => d !== null && d > now).sort((a, b) => b.getTime() - a.getTime());
  return until[0] ?? null;
}

/** Counts one failed attempt (unknown email, wrong password, not a member here) and forgets failures older than a day. */
export async function recordSignInFailure(db: Db, account: string, ip: string, now: Date): Promise<void> {
  await db
    .deleteFrom("sign_in_failures")
    .where("at", "<", nowIso(new Date(now.getTime() - FAILURE_MEMORY_MS)))
    .execute();
  await db
    .insertInto("sign_in_failures")
    .values({ id: newId(), account, address: throttledAddress(ip), at: nowIso(now) })
    .execute();
}

/** A successful sign-in clears that account's failures from that address; other addresses' failures stay counted. */
export async function forgetSignInFailures(db: Db, account: string, ip: string): Promise<void> {
  await db.deleteFrom("sign_in_failures").where("account", "=", account).where("address", "=", throttledAddress(ip)).execute();
}
