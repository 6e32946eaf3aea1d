import type { FastifyReply, FastifyRequest } from "fastify";
import type { Clinic } from "../clinics/clinic.js";
import type { ValidSession } from "../sessions/session.js";
import { problem, notFound, sendProblem } from "./problems.js";
import { seeOther } from "./statuses.js";

/**
 * The signed-in active admin of this clinic host, or null after answering: a redirect to sign-in for
 * anonymous visitors, a 403 page for members who are not admins.
 */
export async function requireClinicAdmin(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<{ clinic: Clinic; auth: ValidSession } | null> {
  const clinic = request.clinic;
  if (!clinic) {
    await sendProblem(request, reply, notFound);
    return null;
  }
  if (!request.auth) {
    await seeOther(reply, `/sign-in?returnTo=${encodeURIComponent(request.url)}`);
    return null;
  }
  const membership = request.auth.membership;
  if (membership?.clinicId !== clinic.id || membership.role !== "admin" || membership.status !== "active") {
    await sendProblem(
      request,
      reply,
      problem("admins_only", {
        title: "Only clinic admins can open this page",
        message: "This page is for your clinic's admins. Ask one of them if you need something changed.",
        next: { href: "/dashboard", label: "Back to your dashboard" },
      }),
    );
    return null;
  }
  return { clinic, auth: request.auth };
}
