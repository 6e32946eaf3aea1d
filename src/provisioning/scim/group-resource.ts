import { ok } from "../../result.js";
import { scimErr, type ScimResult } from "./scim-result.js";

export interface ScimGroupInput {
  displayName: string;
  externalId: string | null;
  /** Undefined: leave the members as they are. */
  members?: string[] | undefined;
}

// A bound on one group's size as one request may set it.
const MAX_MEMBERS_PER_REQUEST = 10_000;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Reads a Group resource (POST, PUT); attributes we do not keep are ignored. */
export function parseGroupResource(body: unknown): ScimResult<ScimGroupInput> {
  if (!isObject(body)) return scimErr("scim_invalid_value", "The body must be a SCIM Group object.");
  const key = (name: string) => Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  const displayName = body[key("displayName") ?? ""];
  if (typeof displayName !== "string" || displayName.trim() === "" || displayName.length > 256) {
    return scimErr("scim_invalid_value", "displayName is required (at most 256 characters).");
  }
  const externalId = body[key("externalId") ?? ""] ?? null;
  if (externalId !== null && (typeof externalId !== "string" || externalId.length > 256))
    return scimErr("scim_invalid_value", "externalId must be a string.");
  const rawMembers = body[key("members") ?? ""];
  let members: string[] | undefined;
  if (rawMembers !== undefined && rawMembers !== null) {
    if (!Array.isArray(rawMembers) || rawMembers.length > MAX_MEMBERS_PER_REQUEST)
      return scimErr("scim_invalid_value", "members must be a list.");
    members = [];
    for (const m of rawMembers) {
      if (!isObject(m) || typeof m.value !== "string" || m.value.length > 64)
        return scimErr("scim_invalid_value", "Each member must be an object with the user's id as value.");
      members.push(m.value);
    }
  }
  return ok({ displayName: displayName.trim(), externalId: externalId === "" ? null : (externalId as string | null), members });
}
