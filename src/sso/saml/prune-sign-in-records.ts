import type { Db } from "../../db/open.js";
import { pruneSeenAssertions } from "./replay-cache.js";
import { pruneSamlRequests } from "./request-store.js";
import { pruneSsoEvents, type SsoEventPolicy } from "./sso-events.js";

/**
 * The periodic clean-up of what sign-ins leave behind, kept off the sign-in path: requests an hour past their
 * expiry, assertion IDs past their NotOnOrAfter, and SSO events past the retention period. Nothing it deletes
 * could still be accepted or shown: the request store and the replay cache decide by time, not by pruning.
 */
export async function pruneSignInRecords(db: Db, events: SsoEventPolicy, now: Date): Promise<void> {
  await pruneSamlRequests(db, now);
  await pruneSeenAssertions(db, now);
  await pruneSsoEvents(db, events, now);
}
