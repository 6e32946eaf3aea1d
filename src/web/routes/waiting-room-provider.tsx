import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { renderToString } from "preact-render-to-string";
import { z } from "zod";
import type { Room } from "../../rooms/room.js";
import { findRoomForUser } from "../../rooms/room.queries.js";
import { decideOnPatient, listWaitingRoom } from "../../waiting-room/waiting-room.js";
import type { WebContext } from "../context.js";
import { csrfToken, formFields } from "../forms.js";
import { WaitingList } from "../pages/dashboard.js";
import { problem, notFound, sendProblem } from "../problems.js";
import { seeOther, sendJsonRefusal } from "../statuses.js";

const DecisionForm = z.object({ patient: z.string().catch("") });

const PATIENT_NOT_WAITING = problem("patient_not_waiting", {
  title: "That patient is no longer waiting",
  message: "They may have left, or the visit already ended. Your dashboard shows who is waiting now.",
  next: { href: "/dashboard", label: "Back to your dashboard" },
});

type OwnRoomHandler = (request: FastifyRequest, reply: FastifyReply, room: Room) => Promise<FastifyReply>;

/** The provider's side of their waiting room, on the clinic host: who is waiting, and admitting or dismissing them. */
export function registerProviderWaitingRoomRoutes(app: FastifyInstance, ctx: WebContext): void {
  // The dashboard's polling gets JSON it can act on; its forms send the provider to sign in again.
  const signedOutJson = (reply: FastifyReply) => sendJsonRefusal(reply, "signed_out", "Sign in again to see your waiting room.");
  const signedOutPage = (reply: FastifyReply) => seeOther(reply, "/sign-in?returnTo=%2Fdashboard");

  /** A handler for the signed-in provider's own room on this clinic host; anyone else is answered first. */
  const forOwnRoom =
    (signedOut: (reply: FastifyReply) => FastifyReply, handler: OwnRoomHandler) => async (request: FastifyRequest, reply: FastifyReply) => {
      if (!request.clinic) return sendProblem(request, reply, notFound);
      if (!request.auth) return signedOut(reply);
      const room = await findRoomForUser(ctx.db, request.auth.user.id);
      if (!room) return sendJsonRefusal(reply, "no_room", "Choose your room name first.");
      return handler(request, reply, room);
    };

  app.get(
    "/api/v1/waiting-room",
    forOwnRoom(signedOutJson, async (_request, reply, room) => {
      const waiting = await listWaitingRoom(ctx.db, room.id, ctx.clock());
      return reply.header("cache-control", "no-store").send({ room: room.name, waiting });
    }),
  );

  // The dashboard's list alone, the same markup the dashboard renders, for public/dashboard.js to swap in.
  app.get(
    "/waiting-room",
    forOwnRoom(signedOutJson, async (_request, reply, room) => {
      const waiting = await listWaitingRoom(ctx.db, room.id, ctx.clock());
      return reply
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(renderToString(<WaitingList waiting={waiting} csrfToken={csrfToken(reply)} />));
    }),
  );

  for (const [action, decision] of [
    ["admit", "admitted"],
    ["dismiss", "dismissed"],
  ] as const) {
    app.post(
      `/waiting-room/${action}`,
      { preHandler: app.csrfProtection },
      forOwnRoom(signedOutPage, async (request, reply, room) => {
        const { patient } = DecisionForm.parse(formFields(request));
        // Only an entry of the provider's own room: another room's patient id is simply not found.
        const decided = await decideOnPatient(ctx.db, room.id, patient, decision, ctx.clock());
        if (!decided.ok) return sendProblem(request, reply, PATIENT_NOT_WAITING);
        return seeOther(reply, "/dashboard");
      }),
    );
  }
}
