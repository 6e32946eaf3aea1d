import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { mainOrigin } from "../../hosts.js";
import {
  checkRoomNameAvailability,
  chooseRoomName,
  needsOnboarding,
  suggestAvailableRoomName,
  type ChooseRoomNameResult,
} from "../../rooms/choose-room-name.js";
import type { WebContext } from "../context.js";
import { bySite, clientIp, csrfToken, formFields } from "../forms.js";
import { forSignedIn, type SignedIn } from "../guards.js";
import { WelcomePage } from "../pages/welcome.js";
import { problem, notFound, sendProblem, type Problem } from "../problems.js";
import { sendPage } from "../render.js";
import { seeOther, statusOf, type StatusCode } from "../statuses.js";

// Long enough for any refusal to be explained, short enough that a pasted essay is not echoed back.
const MAX_TYPED_LENGTH = 200;
const typedName = z
  .string()
  .catch("")
  .transform((typed) => typed.slice(0, MAX_TYPED_LENGTH));
const RoomNameForm = z.object({ roomName: typedName });
const AvailabilityQuery = z.object({ name: typedName });

type RoomNameRefusal = Extract<ChooseRoomNameResult, { ok: false; message: string }>["error"];
// Which status each refusal is answered with ("user_has_room" is none: that person goes on to the dashboard).
const REFUSAL_CODES: Record<RoomNameRefusal, StatusCode> = { invalid: "invalid_room_name", room_name_taken: "room_name_taken" };

const noSession: Problem = problem("no_session", { title: "Not signed in", message: "No valid session for this host." });

/** Finishing account set-up on a clinic host: choosing a room name, with a live availability check. */
export function registerWelcomeRoutes(app: FastifyInstance, ctx: WebContext): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);

  function renderWelcome(reply: FastifyReply, { clinic, auth }: SignedIn, value: string, error?: string, status?: number) {
    return sendPage(
      reply,
      <WelcomePage
        clinicName={clinic.name}
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
    forSignedIn("/welcome", async (_request, reply, member) => {
      if (!(await needsOnboarding(ctx.db, member.auth.user.id))) return seeOther(reply, "/dashboard");
      const suggestion = await suggestAvailableRoomName(ctx.db, member.auth.user.name);
      return renderWelcome(reply, member, suggestion ?? "");
    }),
  );

  app.post(
    "/welcome",
    { preHandler: app.csrfProtection },
    forSignedIn("/welcome", async (request, reply, member) => {
      const { roomName } = RoomNameForm.parse(formFields(request));
      const chosen = await chooseRoomName(ctx.db, member.auth.user, member.clinic.id, roomName, clientIp(request), ctx.clock());
      // Someone who already has a room (a second click, another tab) has nothing left to set up here.
      if (chosen.ok || chosen.error === "user_has_room") return seeOther(reply, "/dashboard");
      return renderWelcome(reply, member, roomName, chosen.message, statusOf(REFUSAL_CODES[chosen.error]));
    }),
  );

  app.get(
    "/api/v1/rooms/availability",
    // Each answer reveals whether a name is in use; the limit keeps this from becoming a fast directory scan.
    { config: { rateLimit: { max: 60, timeWindow: "1 minute" } } },
    bySite(
      {
        clinic: async (request, reply) => {
          if (!request.auth) return sendProblem(request, reply, noSession);
          const { name } = AvailabilityQuery.parse(request.query ?? {});
          const answer = await checkRoomNameAvailability(ctx.db, name);
          return reply.header("cache-control", "no-store").send(answer);
        },
      },
      sendNotFound,
    ),
  );
}
