import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { clinicNameSchema, seatsSchema, subdomainSchema, type Clinic } from "../../clinics/clinic.js";
import { countSeatsUsed, createClinic, type CreateClinicError } from "../../clinics/clinic.queries.js";
import { clinicOrigin } from "../../hosts.js";
import { roomNameSchema } from "../../rooms/room.js";
import { addClinicMember, type AddMemberError } from "../../users/add-member.js";
import { emailSchema, passwordSchema, personNameSchema, roleSchema } from "../../users/user.js";
import { isBearerToken } from "../bearer-token.js";
import type { WebContext } from "../context.js";
import { clientIp } from "../forms.js";
import { registerEmailDomainsApi } from "./email-domains-api.js";
import { registerSsoApi } from "./sso-api.js";
import { registerMetadataRefreshApi } from "./metadata-refresh.js";
import { operatorTarget, resolveOperatorTarget } from "./operator-clinic.js";
import { registerUsersApi } from "./users-api.js";
import { registerScimTokensApi } from "./scim-api.js";
import { problem, invalidInput, notFound, sendProblem, type Problem } from "../problems.js";
import { sendCreated } from "../statuses.js";

const CreateClinicBody = z.strictObject({ subdomain: subdomainSchema, name: clinicNameSchema, seats: seatsSchema });
const AddUserBody = z.strictObject({
  email: emailSchema,
  name: personNameSchema,
  role: roleSchema,
  password: passwordSchema.optional(),
  roomName: roomNameSchema.optional(),
});

const unauthorized: Problem = problem("unauthorized", {
  title: "Unauthorized",
  message: "Send the operator token as 'Authorization: Bearer <token>'.",
});
const notJson: Problem = problem("unsupported_media_type", { title: "Unsupported format", message: "Send the body as application/json." });

const CREATE_CLINIC_PROBLEMS = {
  subdomain_taken: (subdomain: string) =>
    problem("subdomain_taken", { title: "Subdomain taken", message: `The subdomain ${subdomain} is already taken.` }),
} satisfies Record<CreateClinicError, (subdomain: string) => Problem>;

export const ADD_MEMBER_PROBLEMS: Record<AddMemberError, Problem> = {
  email_taken: problem("email_taken", { title: "Email in use", message: "That email already belongs to a user of a clinic." }),
  seat_limit_reached: problem("seat_limit_reached", {
    title: "No free seat",
    message: "The clinic has no free seat. Free one or add seats first.",
  }),
  room_name_taken: problem("room_name_taken", { title: "Room name taken", message: "That room name is already taken." }),
};

export async function clinicJson(ctx: WebContext, clinic: Clinic) {
  return {
    subdomain: clinic.subdomain,
    name: clinic.name,
    seats: clinic.seats,
    seatsUsed: await countSeatsUsed(ctx.db, clinic.id),
    url: clinicOrigin(ctx.config, clinic.subdomain),
    signInUrl: `${clinicOrigin(ctx.config, clinic.subdomain)}/sign-in`,
    createdAt: clinic.createdAt,
  };
}

/**
 * The platform operator's JSON API, on the main site only, behind the operator bearer token. A route whose path has
 * a :subdomain finds its clinic with operatorTarget(request): the hook below resolved it, or answered 404.
 */
export function registerOperatorApi(app: FastifyInstance, ctx: WebContext): void {
  app.register(async (api) => {
    api.decorateRequest("operatorTarget", null);
    api.addHook("preHandler", async (request: FastifyRequest, reply: FastifyReply) => {
      if (request.clinic) return sendProblem(request, reply, notFound);
      if (!isBearerToken(request.headers.authorization, ctx.config.operatorToken)) return sendProblem(request, reply, unauthorized);
      // A DELETE carries no body, so it has no format to check.
      if (request.method !== "GET" && request.method !== "DELETE" && !/^application\/json\b/i.test(request.headers["content-type"] ?? "")) {
        return sendProblem(request, reply, notJson);
      }
      return resolveOperatorTarget(ctx.db, request, reply);
    });

    api.post("/api/v1/clinics", async (request, reply) => {
      const input = CreateClinicBody.safeParse(request.body);
      if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
      const created = await createClinic(ctx.db, input.data, ctx.clock());
      if (!created.ok) return sendProblem(request, reply, CREATE_CLINIC_PROBLEMS[created.error](input.data.subdomain));
      return sendCreated(reply, await clinicJson(ctx, created.value));
    });

    api.get("/api/v1/clinics/:subdomain", async (request, reply) => reply.send(await clinicJson(ctx, operatorTarget(request))));

    api.post("/api/v1/clinics/:subdomain/users", async (request, reply) => {
      const clinic = operatorTarget(request);
      const input = AddUserBody.safeParse(request.body);
      if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
      const added = await addClinicMember(ctx.db, clinic, input.data, { actor: "operator", ip: clientIp(request) }, ctx.clock());
      if (!added.ok) return sendProblem(request, reply, ADD_MEMBER_PROBLEMS[added.error]);
      const { user, membership } = added.value;
      const roomName = input.data.roomName ?? null;
      return sendCreated(reply, {
        email: user.email,
        name: user.name,
        role: membership.role,
        status: membership.status,
        clinic: clinic.subdomain,
        roomName,
      });
    });

    registerSsoApi(api, ctx);
    registerMetadataRefreshApi(api, ctx);
    registerEmailDomainsApi(api, ctx);
    registerUsersApi(api, ctx);
    registerScimTokensApi(api, ctx);
  });
}
