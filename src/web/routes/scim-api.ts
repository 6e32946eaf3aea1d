import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { findClinicBySubdomain } from "../../clinics/clinic.queries.js";
import { clinicOrigin } from "../../hosts.js";
import { generateScimToken, listScimTokens, MAX_ACTIVE_SCIM_TOKENS, revokeScimToken } from "../../provisioning/scim/scim-tokens.js";
import type { WebContext } from "../context.js";
import { clientIp } from "../forms.js";
import { invalidInput, notFound, problem, sendProblem, type Problem } from "../problems.js";
import { sendCreated } from "../statuses.js";

const noSuchClinic: Problem = { ...notFound, code: "clinic_not_found", message: "No clinic has that subdomain." };
const CreateTokenBody = z.strictObject({}).optional();

export const SCIM_TOKEN_PROBLEMS = {
  too_many_scim_tokens: problem("too_many_scim_tokens", {
    title: "Too many SCIM tokens",
    message: `A clinic can have at most ${MAX_ACTIVE_SCIM_TOKENS} live SCIM tokens: revoke one first.`,
  }),
  scim_token_not_found: problem("scim_token_not_found", {
    title: "No such token",
    message: "This clinic has no live SCIM token with that id.",
  }),
} satisfies Record<string, Problem>;

/** The operator's SCIM tokens of a clinic: generate (shown once), list (never the token), revoke. */
export function registerScimTokensApi(api: FastifyInstance, ctx: WebContext): void {
  api.get<{ Params: { subdomain: string } }>("/api/v1/clinics/:subdomain/scim/tokens", async (request, reply) => {
    const clinic = await findClinicBySubdomain(ctx.db, request.params.subdomain.toLowerCase());
    if (!clinic) return sendProblem(request, reply, noSuchClinic);
    return reply.send({ tokens: await listScimTokens(ctx.db, clinic.id) });
  });

  api.post<{ Params: { subdomain: string } }>("/api/v1/clinics/:subdomain/scim/tokens", async (request, reply) => {
    const clinic = await findClinicBySubdomain(ctx.db, request.params.subdomain.toLowerCase());
    if (!clinic) return sendProblem(request, reply, noSuchClinic);
    const input = CreateTokenBody.safeParse(request.body ?? undefined);
    if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
    const created = await generateScimToken(ctx.db, clinic, { actor: "operator", ip: clientIp(request) }, ctx.clock());
    if (!created.ok) return sendProblem(request, reply, SCIM_TOKEN_PROBLEMS[created.error]);
    return sendCreated(reply, {
      id: created.value.id,
      token: created.value.token,
      baseUrl: `${clinicOrigin(ctx.config, clinic.subdomain)}/scim/v2`,
    });
  });

  api.delete<{ Params: { subdomain: string; id: string } }>("/api/v1/clinics/:subdomain/scim/tokens/:id", async (request, reply) => {
    const clinic = await findClinicBySubdomain(ctx.db, request.params.subdomain.toLowerCase());
    if (!clinic) return sendProblem(request, reply, noSuchClinic);
    const revoked = await revokeScimToken(ctx.db, clinic, request.params.id, { actor: "operator", ip: clientIp(request) }, ctx.clock());
    if (!revoked.ok) return sendProblem(request, reply, SCIM_TOKEN_PROBLEMS[revoked.error]);
    return reply.send({ revoked: request.params.id });
  });
}
