import { isUniqueViolation } from "../../db/errors.js";
import type { Db } from "../../db/open.js";

/** Every way a SCIM request is refused after it was authenticated; web/ maps each to its status and scimType. */
export type ScimErrorCode =
  | "scim_invalid_filter"
  | "scim_invalid_value"
  | "scim_invalid_path"
  | "scim_invalid_syntax"
  | "scim_uniqueness"
  | "scim_not_found"
  | "scim_seat_limit_reached"
  | "scim_last_admin";

/** A SCIM use case's answer: the value, or a code with a sentence the IdP shows its admin (never a secret). */
export type ScimResult<T> = { ok: true; value: T } | { ok: false; error: ScimErrorCode; detail: string };

export function scimErr(error: ScimErrorCode, detail: string): { ok: false; error: ScimErrorCode; detail: string } {
  return { ok: false, error, detail };
}

/** Thrown inside a transaction to roll it back, caught at the use case's edge and returned as a value. */
export class ScimRefusal extends Error {
  constructor(
    readonly code: ScimErrorCode,
    readonly detail: string,
  ) {
    super(code);
  }
}

export const SCHEMA_USER = "urn:ietf:params:scim:schemas:core:2.0:User";
export const SCHEMA_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group";
export const SCHEMA_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
export const SCHEMA_PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
export const SCHEMA_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error";

/**
 * Runs a SCIM write in one transaction: a refusal returned by the work rolls everything back (nothing half-made)
 * and comes out as a value; a unique violation (a concurrent request won) comes out as uniqueness.
 */
export async function runScimWrite<T>(db: Db, uniquenessDetail: string, work: (trx: Db) => Promise<ScimResult<T>>): Promise<ScimResult<T>> {
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await work(trx);
      if (!result.ok) throw new ScimRefusal(result.error, result.detail);
      return result;
    });
  } catch (error) {
    if (error instanceof ScimRefusal) return scimErr(error.code, error.detail);
    if (isUniqueViolation(error)) return scimErr("scim_uniqueness", uniquenessDetail);
    throw error;
  }
}
