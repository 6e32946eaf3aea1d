import assert from "node:assert/strict";
import type { Clinic } from "../../src/clinics/clinic.js";
import type { HttpResponse } from "./http-client.js";
import type { TestApp } from "./harness.js";

export const SCIM_CONTENT_TYPE = "application/scim+json; charset=utf-8";

/** Generates a SCIM token for the clinic through the operator API, as support staff (or the settings page) would. */
export async function givenScimToken(t: TestApp, clinic: Clinic): Promise<{ id: string; token: string }> {
  const res = await t.client().postJson(t.main(`/api/v1/clinics/${clinic.subdomain}/scim/tokens`), {}, t.operator);
  assert.equal(res.status, 201, res.body);
  return res.json();
}

/** An IdP's SCIM client for one clinic host: JSON bodies as application/scim+json, the bearer token on each call. */
export function scimClient(t: TestApp, clinic: Clinic, token: string, from?: string) {
  const http = t.client(from);
  const url = (path: string) => t.clinicUrl(clinic.subdomain, `/scim/v2${path}`);
  const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
  const send = (method: string, path: string, body?: unknown): Promise<HttpResponse> =>
    http.send(
      method,
      url(path),
      body === undefined ? undefined : JSON.stringify(body),
      headers(body === undefined ? {} : { "content-type": SCIM_CONTENT_TYPE }),
    );
  return {
    get: (path: string) => send("GET", path),
    post: (path: string, body: unknown) => send("POST", path, body),
    put: (path: string, body: unknown) => send("PUT", path, body),
    patch: (path: string, body: unknown) => send("PATCH", path, body),
    delete: (path: string) => send("DELETE", path),
    raw: (method: string, path: string, body: string | undefined, extra: Record<string, string>) =>
      http.send(method, url(path), body, extra),
  };
}

export type ScimClient = ReturnType<typeof scimClient>;

/** The filter query string as IdPs send it (URL-encoded). */
export function filterQuery(filter: string, extra = ""): string {
  return `?filter=${encodeURIComponent(filter)}${extra}`;
}

/** Asserts a SCIM error response: status, the error schema, the scimType when given. */
export function assertScimError(res: HttpResponse, status: number, scimType?: string): { detail: string } {
  assert.equal(res.status, status, res.body);
  assert.match(String(res.headers["content-type"]), /^application\/scim\+json/);
  const body = res.json();
  assert.deepEqual(body.schemas, ["urn:ietf:params:scim:api:messages:2.0:Error"]);
  assert.equal(body.status, String(status));
  assert.equal(body.scimType, scimType);
  assert.ok(!/at .*\.(ts|js):\d+/.test(res.body), "no stack trace");
  return body;
}

export async function membershipOf(t: TestApp, email: string) {
  return t.db
    .selectFrom("memberships")
    .innerJoin("users", "users.id", "memberships.user_id")
    .select(["memberships.status", "memberships.role", "users.name", "users.id"])
    .where("users.email", "=", email)
    .executeTakeFirst();
}

export async function seatsUsed(t: TestApp, clinic: Clinic): Promise<number> {
  return (await t.client().get(t.main(`/api/v1/clinics/${clinic.subdomain}`), t.operator)).json().seatsUsed;
}

export async function auditOf(t: TestApp, clinic: Clinic) {
  const rows = await t.db
    .selectFrom("audit_events")
    .select(["action", "actor", "target", "detail"])
    .where("clinic_id", "=", clinic.id)
    .orderBy("at")
    .execute();
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}
