import type { ScimGroup } from "../../provisioning/scim/scim-group.queries.js";
import { SCHEMA_GROUP, SCHEMA_LIST, SCHEMA_USER } from "../../provisioning/scim/scim-result.js";
import type { ScimUser } from "../../provisioning/scim/scim-user.queries.js";

/** A member as a SCIM User resource; `active` is false once they are removed (their seat is free). */
export function userJson(base: string, user: ScimUser) {
  return {
    schemas: [SCHEMA_USER],
    id: user.id,
    ...(user.scim?.externalId ? { externalId: user.scim.externalId } : {}),
    userName: user.scim?.userName ?? user.email,
    name: {
      formatted: user.name,
      ...(user.scim?.givenName ? { givenName: user.scim.givenName } : {}),
      ...(user.scim?.familyName ? { familyName: user.scim.familyName } : {}),
    },
    displayName: user.name,
    emails: [{ value: user.email, type: "work", primary: true }],
    active: user.status !== "deactivated",
    meta: { resourceType: "User", created: user.createdAt, location: `${base}/Users/${user.id}` },
  };
}

export function groupJson(base: string, group: ScimGroup, withMembers = true) {
  return {
    schemas: [SCHEMA_GROUP],
    id: group.id,
    ...(group.externalId ? { externalId: group.externalId } : {}),
    displayName: group.displayName,
    ...(withMembers ? { members: group.members.map((m) => ({ value: m.id, display: m.email, $ref: `${base}/Users/${m.id}` })) } : {}),
    meta: { resourceType: "Group", created: group.createdAt, location: `${base}/Groups/${group.id}` },
  };
}

export function listJson(total: number, startIndex: number, resources: unknown[]) {
  return { schemas: [SCHEMA_LIST], totalResults: total, startIndex, itemsPerPage: resources.length, Resources: resources };
}

export const MAX_PAGE_SIZE = 200;

/** What this endpoint supports (RFC 7643 §5): PATCH, filters; no bulk, sort, ETags or password changes. */
export function serviceProviderConfigJson(base: string, readmeUrl: string) {
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    documentationUri: readmeUrl,
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE_SIZE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: "oauthbearertoken",
        name: "Bearer token",
        description: "A SCIM token generated on the clinic's Single sign-on settings page.",
        primary: true,
      },
    ],
    meta: { resourceType: "ServiceProviderConfig", location: `${base}/ServiceProviderConfig` },
  };
}

export function resourceTypesJson(base: string) {
  const type = (name: string, endpoint: string, schema: string) => ({
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
    id: name,
    name,
    endpoint,
    schema,
    meta: { resourceType: "ResourceType", location: `${base}/ResourceTypes/${name}` },
  });
  return [type("User", "/Users", SCHEMA_USER), type("Group", "/Groups", SCHEMA_GROUP)];
}

const attribute = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
  name,
  type,
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  ...extra,
});

/** The attributes we keep (RFC 7643 §7); anything else an IdP sends is ignored. */
export function schemasJson(base: string) {
  return [
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
      id: SCHEMA_USER,
      name: "User",
      description: "A member of the clinic",
      attributes: [
        attribute("userName", "string", { required: true, uniqueness: "server" }),
        attribute("externalId", "string", { caseExact: true }),
        attribute("name", "complex", {
          subAttributes: [attribute("givenName", "string"), attribute("familyName", "string"), attribute("formatted", "string")],
        }),
        attribute("displayName", "string"),
        attribute("emails", "complex", {
          multiValued: true,
          subAttributes: [attribute("value", "string"), attribute("type", "string"), attribute("primary", "boolean")],
        }),
        attribute("active", "boolean"),
      ],
      meta: { resourceType: "Schema", location: `${base}/Schemas/${SCHEMA_USER}` },
    },
    {
      schemas: ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
      id: SCHEMA_GROUP,
      name: "Group",
      description: "A group pushed by the IdP; the clinic's admin group makes its members admins",
      attributes: [
        attribute("displayName", "string", { required: true, uniqueness: "server" }),
        attribute("externalId", "string", { caseExact: true }),
        attribute("members", "complex", { multiValued: true, subAttributes: [attribute("value", "string", { mutability: "immutable" })] }),
      ],
      meta: { resourceType: "Schema", location: `${base}/Schemas/${SCHEMA_GROUP}` },
    },
  ];
}
