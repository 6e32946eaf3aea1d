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
