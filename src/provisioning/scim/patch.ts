import { ok } from "../../result.js";
import { scimErr, type ScimResult } from "./scim-result.js";
import { primaryEmailOf, readBoolean, type ScimUserState } from "./user-resource.js";

export type PatchOpName = "add" | "replace" | "remove";

export interface PatchOperation {
  op: PatchOpName;
  path: string | null;
  value: unknown;
}

// More than any IdP sends in one request; a bound on the work one request can ask for.
const MAX_OPERATIONS = 1000;
// A path is an attribute (with optional sub-attribute) and at most one [filter]: anything else is not a path.
const PATH = /^(?:urn:[\w.:-]+:)?[A-Za-z$][\w$-]*(?:\[[^\[\]]{1,500}\])?(?:\.[A-Za-z$][\w$-]*)?$/;

/** Reads a PatchOp body: `op` in any case (Entra ID sends "Replace"), a path that parses, at most 1000 operations. */
export function parsePatchOperations(body: unknown): ScimResult<PatchOperation[]> {
  const operations = typeof body === "object" && body !== null ? (body as Record<string, unknown>).Operations : undefined;
  if (!Array.isArray(operations) || operations.length === 0)
    return scimErr("scim_invalid_syntax", "A PATCH needs a non-empty Operations list.");
  if (operations.length > MAX_OPERATIONS) return scimErr("scim_invalid_syntax", `A PATCH may carry at most ${MAX_OPERATIONS} operations.`);
  const parsed: PatchOperation[] = [];
  for (const raw of operations) {
    if (typeof raw !== "object" || raw === null) return scimErr("scim_invalid_syntax", "Each operation must be an object.");
    const { op, path, value } = raw as Record<string, unknown>;
    const name = typeof op === "string" ? op.toLowerCase() : "";
    if (name !== "add" && name !== "replace" && name !== "remove") {
      return scimErr("scim_invalid_syntax", `The operation ${JSON.stringify(op)} is not add, replace or remove.`);
    }
    if (path !== undefined && path !== null && (typeof path !== "string" || !PATH.test(path))) {
      return scimErr("scim_invalid_path", `The path ${JSON.stringify(path)} is not a valid attribute path.`);
    }
    if (name === "remove" && (path === undefined || path === null)) return scimErr("scim_invalid_path", "A remove operation needs a path.");
    if (name !== "remove" && value === undefined) return scimErr("scim_invalid_value", `The ${name} operation needs a value.`);
    parsed.push({ op: name, path: typeof path === "string" ? path : null, value });
  }
  return ok(parsed);
}

function withoutSchema(path: string, schema: string): string {
  return path.toLowerCase().startsWith(`${schema.toLowerCase()}:`) ? path.slice(schema.length + 1) : path;
}

/** Applies PATCH operations to a person's state; attributes we do not keep (title, enterprise extension…) are ignored. */
export function applyUserPatch(state: ScimUserState, operations: PatchOperation[]): ScimResult<ScimUserState> {
  let next = { ...state };
  for (const operation of operations) {
    // Okta sends {"op":"replace","value":{"active":false}}: no path, the value names the attributes.
    const pairs: [string, unknown][] =
      operation.path === null
        ? typeof operation.value === "object" && operation.value !== null && !Array.isArray(operation.value)
          ? Object.entries(operation.value)
          : []
        : [[operation.path, operation.value]];
    if (operation.path === null && pairs.length === 0)
      return scimErr("scim_invalid_value", "An operation without a path needs an object value.");
    for (const [path, value] of pairs) {
      const applied = applyUserAttribute(next, operation.op, withoutSchema(path, "urn:ietf:params:scim:schemas:core:2.0:User"), value);
      if (!applied.ok) return applied;
      next = applied.value;
    }
  }
  return ok(next);
}

function text(value: unknown, field: string, max: number): ScimResult<string | null> {
  if (value === null) return ok(null);
  if (typeof value !== "string") return scimErr("scim_invalid_value", `${field} must be a string.`);
  if (value.length > max) return scimErr("scim_invalid_value", `${field} must be at most ${max} characters.`);
  return ok(value === "" ? null : value);
}

function applyUserAttribute(state: ScimUserState, op: PatchOpName, path: string, value: unknown): ScimResult<ScimUserState> {
  const key = path.toLowerCase();
  const removing = op === "remove";
  const set = (field: keyof ScimUserState, max: number, label: string): ScimResult<ScimUserState> => {
    const read = removing ? ok(null) : text(value, label, max);
    return read.ok ? ok({ ...state, [field]: read.value }) : read;
  };
  if (key === "active") {
    if (removing) return scimErr("scim_invalid_value", "active cannot be removed; set it to false to deactivate.");
    const active = readBoolean(value, "active");
    return active.ok ? ok({ ...state, active: active.value }) : active;
  }
  if (key === "username") {
    if (removing) return scimErr("scim_invalid_value", "userName is required and cannot be removed.");
    const read = text(value, "userName", 320);
    if (!read.ok) return read;
    if (read.value === null) return scimErr("scim_invalid_value", "userName cannot be empty.");
    return ok({ ...state, userName: read.value });
  }
  if (key === "externalid") return set("externalId", 256, "externalId");
  if (key === "displayname") return set("displayName", 200, "displayName");
  if (key === "name.givenname") return set("givenName", 200, "name.givenName");
  if (key === "name.familyname") return set("familyName", 200, "name.familyName");
  if (key === "name.formatted") return set("formatted", 200, "name.formatted");
  if (key === "name") {
    if (removing) return ok({ ...state, givenName: null, familyName: null, formatted: null });
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return scimErr("scim_invalid_value", "name must be an object.");
    let next = state;
    for (const [sub, subValue] of Object.entries(value)) {
      const applied = applyUserAttribute(next, op, `name.${sub}`, subValue);
      if (!applied.ok) return applied;
      next = applied.value;
    }
    return ok(next);
  }
  if (key === "emails") {
    const email = removing ? ok(null) : primaryEmailOf(value);
    return email.ok ? ok({ ...state, email: email.value }) : email;
  }
  // Entra ID: emails[type eq "work"].value; the one email we keep is the one it addresses.
  if (key.startsWith("emails[") && key.endsWith("].value")) return set("email", 320, "emails.value");
  return ok(state);
}

/** What a Group PATCH asks for: member ids to add or remove (null: all of them), and a new name. */
export interface GroupChange {
  displayName?: string;
  externalId?: string | null;
  /** Replace the whole list when set. */
  replaceMembers?: string[];
  addMembers: string[];
  removeMembers: string[] | "all";
}

function memberIds(value: unknown): ScimResult<string[]> {
  const list = Array.isArray(value) ? value : [value];
  const ids: string[] = [];
  for (const entry of list) {
    const id = typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>).value : undefined;
    if (typeof id !== "string" || id.length > 64)
      return scimErr("scim_invalid_value", "Each member must be an object with the user's id as value.");
    ids.push(id);
  }
  return ok(ids);
}

/**
 * Reads Group PATCH operations as Okta (members[value eq "id"] to remove, {"id","displayName"} with no path to
 * rename) and Entra ID ("Add"/"Remove" with path members and a list of {value}) send them.
 */
export function readGroupPatch(operations: PatchOperation[]): ScimResult<GroupChange[]> {
  const changes: GroupChange[] = [];
  for (const operation of operations) {
    const change: GroupChange = { addMembers: [], removeMembers: [] };
    const path = operation.path === null ? null : withoutSchema(operation.path, "urn:ietf:params:scim:schemas:core:2.0:Group");
    const key = path?.toLowerCase() ?? null;
    const filtered = path === null ? null : /^members\[value eq "([^"]{1,64})"\]$/i.exec(path);
    if (key === null) {
      const value = operation.value as Record<string, unknown>;
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return scimErr("scim_invalid_value", "An operation without a path needs an object value.");
      for (const [name, attribute] of Object.entries(value)) {
        const lower = name.toLowerCase();
        if (lower === "displayname") {
          if (typeof attribute !== "string" || attribute.trim() === "" || attribute.length > 256)
            return scimErr("scim_invalid_value", "displayName must be a non-empty string.");
          change.displayName = attribute.trim();
        } else if (lower === "members") {
          const ids = memberIds(attribute);
          if (!ids.ok) return ids;
          if (operation.op === "add") change.addMembers = ids.value;
          else change.replaceMembers = ids.value;
        } else if (lower === "externalid") {
          if (attribute !== null && (typeof attribute !== "string" || attribute.length > 256))
            return scimErr("scim_invalid_value", "externalId must be a string.");
          change.externalId = attribute === "" ? null : (attribute as string | null);
        }
      }
    } else if (key === "members") {
      if (operation.op === "remove") {
        if (operation.value === undefined || operation.value === null) change.removeMembers = "all";
        else {
          const ids = memberIds(operation.value);
          if (!ids.ok) return ids;
          change.removeMembers = ids.value;
        }
      } else {
        const ids = memberIds(operation.value ?? []);
        if (!ids.ok) return ids;
        if (operation.op === "add") change.addMembers = ids.value;
        else change.replaceMembers = ids.value;
      }
    } else if (filtered) {
      if (operation.op !== "remove") return scimErr("scim_invalid_path", "A filtered members path can only be removed.");
      change.removeMembers = [filtered[1]!];
    } else if (key === "displayname") {
      if (operation.op === "remove") return scimErr("scim_invalid_value", "displayName is required and cannot be removed.");
      if (typeof operation.value !== "string" || operation.value.trim() === "" || operation.value.length > 256) {
        return scimErr("scim_invalid_value", "displayName must be a non-empty string.");
      }
      change.displayName = operation.value.trim();
    } else if (key === "externalid") {
      if (operation.op === "remove") change.externalId = null;
      else if (typeof operation.value !== "string" || operation.value.length > 256)
        return scimErr("scim_invalid_value", "externalId must be a string.");
      else change.externalId = operation.value;
    }
    changes.push(change);
  }
  return ok(changes);
}
