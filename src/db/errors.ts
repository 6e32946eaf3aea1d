/** True for a unique-constraint violation on either engine: the database, not a pre-check, decides races. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** The single-column unique indexes a caller may want to tell apart, as `table.column`. */
export type UniqueColumn =
  "clinics.subdomain" | "users.email" | "memberships.user_id" | "rooms.name" | "rooms.user_id" | "invitations.user_id";

const UNIQUE_COLUMNS: readonly UniqueColumn[] = [
  "clinics.subdomain",
  "users.email",
  "memberships.user_id",
  "rooms.name",
  "rooms.user_id",
  "invitations.user_id",
];

/**
 * Which unique index a violation hit, read from the engine's structured fields (PostgreSQL's `constraint`,
 * named `<table>_<column>_key`; SQLite's "UNIQUE constraint failed: table.column"), never guessed from
 * free text. "other" for primary keys and composite indexes; null when the error is no unique violation.
 */
export function uniqueViolationTarget(error: unknown): UniqueColumn | "other" | null {
  if (!isUniqueViolation(error)) return null;
  const { constraint, table, message } = error as { constraint?: string; table?: string; message?: string };
  let target: string | null = null;
  if (typeof constraint === "string" && typeof table === "string" && constraint.startsWith(`${table}_`) && constraint.endsWith("_key")) {
    target = `${table}.${constraint.slice(table.length + 1, -"_key".length)}`;
  } else {
    const sqlite = /^UNIQUE constraint failed: ([a-z_]+\.[a-z_]+)$/.exec(message ?? "");
    if (sqlite) target = sqlite[1]!;
  }
  return UNIQUE_COLUMNS.find((column) => column === target) ?? "other";
}

// SQLSTATE class 08 (connection exception), 57P01–57P03 (the server is shutting down, crashed or starting up),
// 53300 (too many connections), 57014 (a statement cancelled past statement_timeout, e.g. waiting for a lock):
// the database is away or stuck for now, the request itself was fine.
const POSTGRES_UNAVAILABLE = /^(08[0-9A-Z]{3}|57P0[123]|53300|57014)$/;
// The socket-level failures of reaching a server that is down, restarting or unreachable.
const NETWORK_UNAVAILABLE = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
// pg and pg-pool raise these without a code when a connection dies or cannot be had in time.
const PG_CONNECTION_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
  // The server did not answer within the read timeout (see openPostgres).
  /^Query read timeout$/,
];

/**
 * True when a query failed because the database could not be reached or is busy (PostgreSQL restarting or
 * down, a SQLite write lock held past the busy timeout): an outage to answer with "try again", not a bug.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === "string") {
    if (POSTGRES_UNAVAILABLE.test(code) || NETWORK_UNAVAILABLE.has(code)) return true;
    // Another connection held the write lock for longer than busy_timeout (SQLITE_BUSY and its extended codes).
    if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) return true;
  }
  if (typeof message === "string" && PG_CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) return true;
  // Several addresses tried and all refused (Node's happy-eyeballs connect): each inner error says why.
  return error instanceof AggregateError && error.errors.length > 0 && error.errors.every(isDatabaseUnavailable);
}
