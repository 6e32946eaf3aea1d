import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { countSeatsUsed } from "../../clinics/clinic.queries.js";
import { clinicOrigin } from "../../hosts.js";
import { changeMember, type ManageMemberError } from "../../users/manage-members.js";
import { listMembersWithRooms, type MemberWithRoom } from "../../users/member-list.queries.js";
import { normalizeEmail, roleSchema } from "../../users/user.js";
import type { WebContext } from "../context.js";
import { clientIp } from "../forms.js";
import { problem, invalidInput, sendProblem, type Problem } from "../problems.js";
import { operatorTarget } from "./operator-clinic.js";

const EmailParam = z.object({ email: z.string().transform(normalizeEmail) });
const PatchBody = z
  .strictObject({
    status: z.enum(["deactivated", "active"], { error: "must be deactivated or active" }).optional(),
    role: roleSchema.optional(),
  })
  .refine((b) => b.status !== undefined || b.role !== undefined, "give status or role (or both)");

const MANAGE_MEMBER_PROBLEMS: Record<ManageMemberError, Problem> = {
  member_not_found: problem("member_not_found", { title: "No such member", message: "This clinic has no member with that email." }),
  last_admin: problem("last_admin", {
    title: "Last admin",
    message: "This is the clinic's last active admin: make someone else admin first.",
  }),
  seat_limit_reached: problem("seat_limit_reached", {
    title: "No free seat",
    message: "The clinic has no free seat. Free one or add seats first.",
  }),
  invitation_pending: problem("invitation_pending", {
    title: "Invitation pending",
    message: "This person has not accepted their invitation yet; they become active by accepting it.",
  }),
};

function memberJson({ user, membership, roomName }: MemberWithRoom) {
  return {
    email: user.email,
    name: user.name,
    role: membership.role,
    status: membership.status,
    roomName,
    lastSignInAt: membership.lastSignInAt,
    lastSignInMethod: membership.lastSignInMethod,
  };
}

/** Operator API for a clinic's members (main site, operator token: checked by the operator API hook). */
export function registerUsersApi(api: FastifyInstance, ctx: WebContext): void {
  api.get("/api/v1/clinics/:subdomain/users", async (request, reply) => {
    const clinic = operatorTarget(request);
    const [members, seatsUsed] = await Promise.all([listMembersWithRooms(ctx.db, clinic.id), countSeatsUsed(ctx.db, clinic.id)]);
    return reply.send({ seats: clinic.seats, seatsUsed, users: members.map(memberJson) });
  });

  api.patch("/api/v1/clinics/:subdomain/users/:email", async (request, reply) => {
    const clinic = operatorTarget(request);
    const { email } = EmailParam.parse(request.params);
    const input = PatchBody.safeParse(request.body);
    if (!input.success) return sendProblem(request, reply, invalidInput(input.error));
    const delivery = { origin: clinicOrigin(ctx.config, clinic.subdomain), mailer: ctx.invitationMailer };
    const updated = await changeMember(
      ctx.db,
      clinic,
      email,
      input.data,
      { actor: "operator", ip: clientIp(request) },
      delivery,
      ctx.clock(),
    );
    if (!updated.ok) return sendProblem(request, reply, MANAGE_MEMBER_PROBLEMS[updated.error]);
    // A restored invitee is invited again: their new link is in this answer only (its token is stored hashed).
    const { invitationLink } = updated.value;
    return reply.send({ ...memberJson(updated.value.member), ...(invitationLink ? { invitationLink } : {}) });
  });
}
