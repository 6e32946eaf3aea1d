import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Clinic } from "../../clinics/clinic.js";
import { clinicOrigin } from "../../hosts.js";
import { parseEqualityFilter, type EqualityClause } from "../../provisioning/scim/filter.js";
import { parsePatchOperations } from "../../provisioning/scim/patch.js";
import { createScimGroup, deleteScimGroup, patchScimGroup, replaceScimGroup } from "../../provisioning/scim/scim-groups.js";
import { parseGroupResource } from "../../provisioning/scim/group-resource.js";
import { findScimGroup, GROUP_FILTER_ATTRIBUTES, listScimGroups } from "../../provisioning/scim/scim-group.queries.js";
import { recordScimRequest } from "../../provisioning/scim/scim-requests.js";
import type { ScimErrorCode, ScimResult } from "../../provisioning/scim/scim-result.js";
import { authenticateScimToken } from "../../provisioning/scim/scim-tokens.js";
import { findScimUser, listScimUsers, USER_FILTER_ATTRIBUTES } from "../../provisioning/scim/scim-user.queries.js";
import { createScimUser, deleteScimUser, patchScimUser, replaceScimUser, type ScimCaller } from "../../provisioning/scim/scim-users.js";
import { parseUserResource } from "../../provisioning/scim/user-resource.js";
import type { WebContext } from "../context.js";
import { clientIp } from "../forms.js";
import { notFound, problem, sendProblem, type Problem } from "../problems.js";
import { groupJson, listJson, MAX_PAGE_SIZE, resourceTypesJson, schemasJson, serviceProviderConfigJson, userJson } from "./scim-json.js";

// A group push of a few thousand members fits; anything larger is refused with 413 before it is parsed.
const SCIM_BODY_LIMIT_BYTES = 512 * 1024;

const SCIM_TYPES = {
  scim_invalid_filter: "invalidFilter",
  scim_invalid_value: "invalidValue",
  scim_invalid_path: "invalidPath",
  scim_invalid_syntax: "invalidSyntax",
  scim_uniqueness: "uniqueness",
  scim_not_found: undefined,
  scim_seat_limit_reached: undefined,
  scim_last_admin: undefined,
} as const satisfies Record<ScimErrorCode, string | undefined>;

// Deliberately the same words for a missing, wrong, revoked or other clinic's token: the caller learns nothing.
const unauthorized: Problem = problem("unauthorized", { title: "Unauthorized", message: "Authentication failed." });

const ListQuery = z.object({
  filter: z.string().optional(),
  startIndex: z.coerce.number().int().optional(),
  count: z.coerce.number().int().optional(),
  excludedAttributes: z.string().optional(),
  attributes: z.string().optional(),
});

declare module "fastify" {
  interface FastifyRequest {
    /** The SCIM token that authenticated this request, once the SCIM hook has checked it. */
    scimCaller: ScimCaller | null;
    /** What became of a SCIM request, in a word or two, for the clinic's settings page. */
    scimOutcome: string | null;
  }
}

/** /scim/v2 on a clinic host: the clinic's IdP creates, updates and removes its members and groups (RFC 7644). */
export function registerScimRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.register(async (scim) => {
    scim.decorateRequest("scimCaller", null);
    scim.decorateRequest("scimOutcome", null);
    // Okta and Entra ID send application/scim+json; plain JSON is accepted too (RFC 7644 §3.1).
    scim.addContentTypeParser(
      ["application/scim+json"],
      { parseAs: "string", bodyLimit: SCIM_BODY_LIMIT_BYTES },
      scim.getDefaultJsonParser("error", "error"),
    );
    scim.addHook("preHandler", async (request, reply) => {
      // The clinic comes from the host alone: the main site has no SCIM endpoint.
      if (!request.clinic) return sendProblem(request, reply, notFound);
      const bearer = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(request.headers.authorization ?? "");
      const tokenId = bearer ? await authenticateScimToken(ctx.db, request.clinic.id, bearer[1]!, ctx.clock()) : null;
      if (!tokenId) {
        request.scimOutcome = "refused: authentication failed";
        return sendProblem(request, reply, unauthorized);
      }
      request.scimCaller = { tokenId, ip: clientIp(request) };
    });
    // Noted before the answer leaves, so the settings page shows it as soon as the IdP has its answer.
    scim.addHook("onSend", async (request, reply, payload) => {
      if (request.clinic) {
        const outcome = request.scimOutcome ?? (reply.statusCode < 400 ? "ok" : `refused (${reply.statusCode})`);
        const path = request.url.split("?")[0]!;
        await recordScimRequest(
          ctx.db,
          request.clinic.id,
          { method: request.method, path, status: reply.statusCode, outcome, tokenId: request.scimCaller?.tokenId ?? null },
          ctx.clock(),
        );
      }
      return payload;
    });

    const options = {
      bodyLimit: SCIM_BODY_LIMIT_BYTES,
      config: {
        rateLimit: {
          max: ctx.config.scimRequestsPerMinute,
          timeWindow: "1 minute",
          keyGenerator: (request: FastifyRequest) => `scim:${request.host}`,
        },
      },
    };
    const base = (clinic: Clinic) => `${clinicOrigin(ctx.config, clinic.subdomain)}/scim/v2`;
    const send = (reply: FastifyReply, status: number, body: unknown) =>
      reply.status(status).type("application/scim+json; charset=utf-8").send(body);
    const refuse = (request: FastifyRequest, reply: FastifyReply, failure: { error: ScimErrorCode; detail: string }) => {
      request.scimOutcome = `refused: ${failure.error.replace(/^scim_/, "").replaceAll("_", " ")}`;
      return sendProblem(request, reply, {
        ...problem(failure.error, { title: "Refused", message: failure.detail }),
        scimType: SCIM_TYPES[failure.error],
      });
    };
    const answer = async <T>(
      request: FastifyRequest,
      reply: FastifyReply,
      result: ScimResult<T>,
      then: (value: T) => Promise<FastifyReply>,
    ) => (result.ok ? then(result.value) : refuse(request, reply, result));

    scim.get("/scim/v2/ServiceProviderConfig", options, async (request, reply) =>
      send(
        reply,
        200,
        serviceProviderConfigJson(base(clinicOf(request)), `${clinicOrigin(ctx.config, clinicOf(request).subdomain)}/settings/sso`),
      ),
    );
    scim.get("/scim/v2/ResourceTypes", options, async (request, reply) => {
      const types = resourceTypesJson(base(clinicOf(request)));
      return send(reply, 200, listJson(types.length, 1, types));
    });
    scim.get("/scim/v2/Schemas", options, async (request, reply) => {
      const schemas = schemasJson(base(clinicOf(request)));
      return send(reply, 200, listJson(schemas.length, 1, schemas));
    });

    scim.get("/scim/v2/Users", options, async (request, reply) => {
      const query = readListQuery(request.query, USER_FILTER_ATTRIBUTES);
      if (!query.ok) return refuse(request, reply, query);
      const { total, users } = await listScimUsers(ctx.db, clinicOf(request).id, query.value.clauses, query.value);
      return send(
        reply,
        200,
        listJson(
          total,
          query.value.startIndex,
          users.map((u) => userJson(base(clinicOf(request)), u)),
        ),
      );
    });
    scim.get<{ Params: { id: string } }>("/scim/v2/Users/:id", options, async (request, reply) => {
      const user = await findScimUser(ctx.db, clinicOf(request).id, request.params.id);
      if (!user) return refuse(request, reply, { error: "scim_not_found", detail: "No such user in this clinic." });
      return send(reply, 200, userJson(base(clinicOf(request)), user));
    });
    scim.post("/scim/v2/Users", options, async (request, reply) => {
      const state = parseUserResource(request.body);
      if (!state.ok) return refuse(request, reply, state);
      const created = await createScimUser(ctx.db, clinicOf(request), state.value, callerOf(request), ctx.notifier, ctx.clock());
      return answer(request, reply, created, ({ id }) => sendUser(request, reply, id, 201));
    });
    scim.put<{ Params: { id: string } }>("/scim/v2/Users/:id", options, async (request, reply) => {
      const state = parseUserResource(request.body);
      if (!state.ok) return refuse(request, reply, state);
      const replaced = await replaceScimUser(ctx.db, clinicOf(request), request.params.id, state.value, callerOf(request), ctx.clock());
      return answer(request, reply, replaced, () => sendUser(request, reply, request.params.id, 200));
    });
    scim.patch<{ Params: { id: string } }>("/scim/v2/Users/:id", options, async (request, reply) => {
      const operations = parsePatchOperations(request.body);
      if (!operations.ok) return refuse(request, reply, operations);
      const patched = await patchScimUser(ctx.db, clinicOf(request), request.params.id, operations.value, callerOf(request), ctx.clock());
      return answer(request, reply, patched, () => sendUser(request, reply, request.params.id, 200));
    });
    scim.delete<{ Params: { id: string } }>("/scim/v2/Users/:id", options, async (request, reply) => {
      const deleted = await deleteScimUser(ctx.db, clinicOf(request), request.params.id, callerOf(request), ctx.clock());
      return answer(request, reply, deleted, async () => reply.status(204).send());
    });

    scim.get("/scim/v2/Groups", options, async (request, reply) => {
      const query = readListQuery(request.query, GROUP_FILTER_ATTRIBUTES);
      if (!query.ok) return refuse(request, reply, query);
      const { total, groups } = await listScimGroups(ctx.db, clinicOf(request).id, query.value.clauses, query.value);
      return send(
        reply,
        200,
        listJson(
          total,
          query.value.startIndex,
          groups.map((g) => groupJson(base(clinicOf(request)), g, query.value.withMembers)),
        ),
      );
    });
    scim.get<{ Params: { id: string } }>("/scim/v2/Groups/:id", options, async (request, reply) => {
      const group = await findScimGroup(ctx.db, clinicOf(request).id, request.params.id);
      if (!group) return refuse(request, reply, { error: "scim_not_found", detail: "No such group in this clinic." });
      return send(reply, 200, groupJson(base(clinicOf(request)), group, !excludesMembers(request.query)));
    });
    scim.post("/scim/v2/Groups", options, async (request, reply) => {
      const input = parseGroupResource(request.body);
      if (!input.ok) return refuse(request, reply, input);
      const created = await createScimGroup(ctx.db, clinicOf(request), input.value, callerOf(request), ctx.clock());
      return answer(request, reply, created, ({ id }) => sendGroup(request, reply, id, 201));
    });
    scim.put<{ Params: { id: string } }>("/scim/v2/Groups/:id", options, async (request, reply) => {
      const input = parseGroupResource(request.body);
      if (!input.ok) return refuse(request, reply, input);
      const replaced = await replaceScimGroup(ctx.db, clinicOf(request), request.params.id, input.value, callerOf(request), ctx.clock());
      return answer(request, reply, replaced, () => sendGroup(request, reply, request.params.id, 200));
    });
    scim.patch<{ Params: { id: string } }>("/scim/v2/Groups/:id", options, async (request, reply) => {
      const operations = parsePatchOperations(request.body);
      if (!operations.ok) return refuse(request, reply, operations);
      const patched = await patchScimGroup(ctx.db, clinicOf(request), request.params.id, operations.value, callerOf(request), ctx.clock());
      // Entra ID expects 204 after a group PATCH; Okta accepts it as well.
      return answer(request, reply, patched, async () => reply.status(204).send());
    });
    scim.delete<{ Params: { id: string } }>("/scim/v2/Groups/:id", options, async (request, reply) => {
      const deleted = await deleteScimGroup(ctx.db, clinicOf(request), request.params.id, callerOf(request), ctx.clock());
      return answer(request, reply, deleted, async () => reply.status(204).send());
    });

    // The resource as it stands after the write; a concurrent DELETE in between makes it a 404.
    async function sendUser(request: FastifyRequest, reply: FastifyReply, id: string, status: number) {
      const user = await findScimUser(ctx.db, clinicOf(request).id, id);
      if (!user) return refuse(request, reply, { error: "scim_not_found", detail: "No such user in this clinic." });
      return send(reply, status, userJson(base(clinicOf(request)), user));
    }
    async function sendGroup(request: FastifyRequest, reply: FastifyReply, id: string, status: number) {
      const group = await findScimGroup(ctx.db, clinicOf(request).id, id);
      if (!group) return refuse(request, reply, { error: "scim_not_found", detail: "No such group in this clinic." });
      return send(reply, status, groupJson(base(clinicOf(request)), group));
    }
  });
}

// The SCIM preHandler lets no request through without a clinic and a token: reaching these without one is a bug.
function clinicOf(request: FastifyRequest): Clinic {
  if (!request.clinic) throw new Error("SCIM route reached without a clinic");
  return request.clinic;
}

function callerOf(request: FastifyRequest): ScimCaller {
  if (!request.scimCaller) throw new Error("SCIM route reached without a token");
  return request.scimCaller;
}

function excludesMembers(query: unknown): boolean {
  const excluded = (query as Record<string, unknown>).excludedAttributes;
  return typeof excluded === "string" && excluded.split(",").some((a) => a.trim().toLowerCase() === "members");
}

/** filter, startIndex (1-based, below 1 means 1) and count (0 to 200; 0 answers only totalResults), per RFC 7644 §3.4.2.4. */
function readListQuery(
  raw: unknown,
  allowed: readonly string[],
): ScimResult<{ clauses: EqualityClause[]; startIndex: number; count: number; withMembers: boolean }> {
  const query = ListQuery.safeParse(raw);
  if (!query.success) return { ok: false, error: "scim_invalid_value", detail: "startIndex and count must be whole numbers." };
  let clauses: EqualityClause[] = [];
  if (query.data.filter !== undefined) {
    const parsed = parseEqualityFilter(query.data.filter, allowed);
    if (!parsed.ok) return { ok: false, error: "scim_invalid_filter", detail: parsed.error };
    clauses = parsed.value;
  }
  const startIndex = Math.max(1, query.data.startIndex ?? 1);
  const count = Math.min(MAX_PAGE_SIZE, Math.max(0, query.data.count ?? 100));
  return { ok: true, value: { clauses, startIndex, count, withMembers: !excludesMembers(raw) } };
}
