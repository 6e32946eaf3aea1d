import { ok } from "../../result.js";
import { checkEmailAddress, checkPersonName } from "../../users/identity-text.js";
import { scimErr, type ScimResult } from "./scim-result.js";

/** What the IdP says about one person: the attributes we keep, after a POST, a PUT or a PATCH. */
export interface ScimUserState {
  userName: string;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  displayName: string | null;
  formatted: string | null;
  /** The primary (or only) email as sent. */
  email: string | null;
  active: boolean;
}

const MAX_USER_NAME = 320;
const MAX_EXTERNAL_ID = 256;
const MAX_NAME_PART = 200;

type Fail = { ok: false; error: "scim_invalid_value"; detail: string };
type Read<T> = { ok: true; value: T } | Fail;
const invalid = (detail: string): Fail => scimErr("scim_invalid_value", detail) as Fail;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A case-insensitive attribute lookup: SCIM attribute names are case-insensitive (RFC 7643 §2.1). */
function attr(body: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : body[key];
}

function optionalString(value: unknown, field: string, max: number): Read<string | null> {
  if (value === undefined || value === null) return ok(null);
  if (typeof value !== "string") return invalid(`${field} must be a string.`);
  if (value.length > max) return invalid(`${field} must be at most ${max} characters.`);
  return ok(value === "" ? null : value);
}

/** true/false, and the strings "True"/"False" Entra ID sends in PATCH operations. */
export function readBoolean(value: unknown, field: string): Read<boolean> {
  if (typeof value === "boolean") return ok(value);
  if (typeof value === "string" && /^(true|false)$/i.test(value)) return ok(value.toLowerCase() === "true");
  return invalid(`${field} must be true or false.`);
}

/** The primary email of an `emails` array (else the work one, else the first). */
export function primaryEmailOf(value: unknown): Read<string | null> {
  if (value === undefined || value === null) return ok(null);
  if (!Array.isArray(value) || !value.every(isObject)) return invalid("emails must be a list of objects with a value.");
  const chosen =
    value.find((e) => attr(e, "primary") === true || attr(e, "primary") === "True") ??
    value.find((e) => attr(e, "type") === "work") ??
    value[0];
  return chosen === undefined ? ok(null) : optionalString(attr(chosen, "value"), "emails.value", MAX_USER_NAME);
}

/** A User resource as sent: `active` is null when the IdP left it out (a new user is active; a PUT keeps the status). */
export type ScimUserResource = Omit<ScimUserState, "active"> & { active: boolean | null };

/** Reads a full User resource (POST, PUT). Attributes we do not keep are ignored, as RFC 7644 §3.3 allows. */
export function parseUserResource(body: unknown): ScimResult<ScimUserResource> {
  if (!isObject(body)) return invalid("The body must be a SCIM User object.");
  const userName = attr(body, "userName");
  if (typeof userName !== "string" || userName.trim() === "") return invalid("userName is required.");
  if (userName.length > MAX_USER_NAME) return invalid(`userName must be at most ${MAX_USER_NAME} characters.`);
  const name = attr(body, "name") ?? {};
  if (!isObject(name)) return invalid("name must be an object.");
  const externalId = optionalString(attr(body, "externalId"), "externalId", MAX_EXTERNAL_ID);
  const givenName = optionalString(attr(name, "givenName"), "name.givenName", MAX_NAME_PART);
  const familyName = optionalString(attr(name, "familyName"), "name.familyName", MAX_NAME_PART);
  const formatted = optionalString(attr(name, "formatted"), "name.formatted", MAX_NAME_PART);
  const displayName = optionalString(attr(body, "displayName"), "displayName", MAX_NAME_PART);
  const email = primaryEmailOf(attr(body, "emails"));
  const rawActive = attr(body, "active");
  const active = rawActive === undefined || rawActive === null ? ok(null) : readBoolean(rawActive, "active");
  if (!externalId.ok) return externalId;
  if (!givenName.ok) return givenName;
  if (!familyName.ok) return familyName;
  if (!formatted.ok) return formatted;
  if (!displayName.ok) return displayName;
  if (!email.ok) return email;
  if (!active.ok) return active;
  return ok({
    userName: userName.trim(),
    externalId: externalId.value,
    givenName: givenName.value,
    familyName: familyName.value,
    formatted: formatted.value,
    displayName: displayName.value,
    email: email.value,
    active: active.value,
  });
}

/**
 * The account's email and name from what the IdP sent: the primary email (else a userName that is an address),
 * through the same rules as every other source; the name from its parts, else the display name, else the address.
 */
export function identityOf(state: ScimUserState): ScimResult<{ email: string; name: string; userNameKey: string }> {
  const candidate = state.email ?? state.userName;
  const email = checkEmailAddress(candidate);
  if (!email.ok) return invalid(`The user's email ${state.email === null ? "(taken from userName) " : ""}${email.error}.`);
  const parts = [state.givenName, state.familyName].filter((p): p is string => p !== null && p.trim() !== "").join(" ");
  const name = checkPersonName(parts || state.displayName || state.formatted || email.value.split("@")[0]!);
  if (!name.ok) return invalid(`The user's name ${name.error}.`);
  return ok({ email: email.value, name: name.value, userNameKey: state.userName.toLowerCase() });
}
