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
