import type { Db } from "../../db/open.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { mainOrigin } from "../../hosts.js";
import { checkRoomNameAvailability, chooseRoomName, suggestAvailableRoomName } from "../../rooms/choose-room-name.js";
import { findRoomForUser } from "../../rooms/room.queries.js";
import type { ValidSession } from "../../sessions/session.js";
import type { WebContext } from "../context.js";
import { bySite, clientIp, csrfToken, formFields } from "../forms.js";
import { WelcomePage } from "../pages/welcome.js";
import { problem, notFound, sendProblem, type Problem } from "../problems.js";
import { sendPage } from "../render.js";
import { seeOther, statusOf } from "../statuses.js";

// Long enough for any refusal to be explained, short enough that a pasted essay is not echoed back.
const MAX_TYPED_LENGTH = 200;

const noSession: Problem = problem("no_session", { title: "Not signed in", message: "No valid session for this host." });

/** True while a member has no room yet: they must choose one at /welcome before the dashboard. */
export async function needsOnboarding(db: Db, userId: string): Promise<boolean> {
  return (await findRoomForUser(db, userId)) === null;
}

/** Finishing account set-up on a clinic host: choosing a room name, with a live availability check. */
export function registerWelcomeRoutes(app: FastifyInstance, ctx: WebContext): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);

  function renderWelcome(request: FastifyRequest, reply: FastifyReply, auth: ValidSession, value: string, error?: string, status?: number) {
    return sendPage(
      reply,
      <WelcomePage
        clinicName={request.clinic!.name}
        userName={auth.user.name}
        csrfToken={csrfToken(reply)}
        roomBase={mainOrigin(ctx.config)}
        value={value}
        error={error}
      />,
      status,
    );
  }

  app.get(
    "/welcome",
    bySite(
      {
        clinic: async (request, reply) => {
          const auth = request.auth;
          if (!auth) return seeOther(reply, "/sign-in?returnTo=%2Fwelcome");
          if (!(await needsOnboarding(ctx.db, auth.user.id))) return seeOther(reply, "/dashboard");
          const suggestion = await suggestAvailableRoomName(ctx.db, auth.user.name);
          return renderWelcome(request, reply, auth, suggestion ?? "");
        },
      },
      sendNotFound,
    ),
  );

  app.post(
    "/welcome",
    { preHandler: app.csrfProtection },
    bySite(
      {
        clinic: async (request, reply) => {
          const auth = request.auth;
          if (!auth) return seeOther(reply, "/sign-in?returnTo=%2Fwelcome");
          const typed = (formFields(request).roomName ?? "").slice(0, MAX_TYPED_LENGTH);
          const result = await chooseRoomName(ctx.db, auth.user, request.clinic!.id, typed, clientIp(request), ctx.clock());
          // Someone who already has a room (a second click, another tab) has nothing left to set up here.
          if (result.ok || result.error === "user_has_room") return seeOther(reply, "/dashboard");
          return renderWelcome(
            request,
            reply,
            auth,
            typed,
            result.message,
            statusOf(result.error === "invalid" ? "invalid_room_name" : result.error),
          );
        },
      },
      sendNotFound,
    ),
  );

  app.get(
    "/api/v1/rooms/availability",
    // Each answer reveals whether a name is in use; the limit keeps this from becoming a fast directory scan.
    { config: { rateLimit: { max: 60, timeWindow: "1 minute" } } },
    bySite(
      {
        clinic: async (request, reply) => {
          if (!request.auth) return sendProblem(request, reply, noSession);
          const name = (request.query as Record<string, unknown>).name;
          const answer = await checkRoomNameAvailability(ctx.db, typeof name === "string" ? name.slice(0, MAX_TYPED_LENGTH) : "");
          return reply.header("cache-control", "no-store").send(answer);
        },
      },
      sendNotFound,
    ),
  );
}
