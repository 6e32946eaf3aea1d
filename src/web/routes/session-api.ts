import type { FastifyInstance } from "fastify";
import { getClinic } from "../../clinics/clinic.queries.js";
import { findRoomForUser } from "../../rooms/room.queries.js";
import type { WebContext } from "../context.js";
import { problem, sendProblem } from "../problems.js";

/** GET /api/v1/session on any host: who the session cookie for this host belongs to. A stable contract. */
export function registerSessionApi(app: FastifyInstance, ctx: WebContext): void {
  app.get("/api/v1/session", async (request, reply) => {
    if (!request.auth) {
      return sendProblem(request, reply, problem("no_session", { title: "Not signed in", message: "No valid session for this host." }));
    }
    const { user, membership, session } = request.auth;
    const [clinic, room] = await Promise.all([
      membership ? getClinic(ctx.db, membership.clinicId) : null,
      findRoomForUser(ctx.db, user.id),
    ]);
    return reply.header("cache-control", "no-store").send({
      email: user.email,
      name: user.name,
      clinic: clinic?.subdomain ?? null,
      role: membership?.role ?? null,
      roomName: room?.name ?? null,
      authMethod: session.authMethod,
      // A clinic member without a room is sent to /welcome until they choose one.
      onboardingRequired: membership !== null && room === null,
    });
  });
}
