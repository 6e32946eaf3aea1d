import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { findOpenRoom, type OpenRoom } from "../../waiting-room/open-room.js";
import { findOwnWaitingEntry, joinWaitingRoom, leaveWaitingRoom, type JoinRefusal } from "../../waiting-room/waiting-room.js";
import type { WebContext } from "../context.js";
import { bySite, csrfToken, formFields } from "../forms.js";
import { RoomPage } from "../pages/room.js";
import { notFound, sendProblem } from "../problems.js";
import { sendPage } from "../render.js";
import { seeOther, statusOf } from "../statuses.js";

// The patient's own entry is found by this cookie alone; its path keeps it to the one room it belongs to.
const PATIENT_COOKIE = "waiting";
// Half a day: longer than any wait, and gone before the next day's visits.
const PATIENT_COOKIE_SECONDS = 12 * 3600;
// Joining is rate-limited per IP and room: a script filling a provider's queue with fake patients meets this first.
const JOINS_PER_MINUTE = 10;
// A patient's page checks its status every few seconds; this leaves room for a few tabs, not a flood.
const STATUS_CHECKS_PER_MINUTE = 120;

// A path segment that could not be a room name is not looked up: it is simply not a room.
const RoomPath = z.object({ room: z.string().regex(/^[a-z0-9-]{3,40}$/i) });
const JoinForm = z.object({
  name: z
    .string()
    .catch("")
    .transform((typed) => typed.slice(0, 200)),
});

const JOIN_REFUSALS: Record<JoinRefusal, string> = {
  invalid_name: "Type your name so your provider knows who is waiting.",
  room_full: "This waiting room is full right now. Please try again in a few minutes.",
};

type RoomHandler = (request: FastifyRequest, reply: FastifyReply, open: OpenRoom) => Promise<FastifyReply>;

/** Patients in providers' waiting rooms, on the main site and with no account: joining, waiting, leaving. */
export function registerWaitingRoomRoutes(app: FastifyInstance, ctx: WebContext): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);
  const cookieOptions = (roomName: string) => ({
    path: `/${roomName}`,
    httpOnly: true,
    sameSite: "lax" as const,
    secure: ctx.config.scheme === "https",
  });

  /** A handler for the open room its path names, on the main site; anything else is not found. */
  const inOpenRoom = (handler: RoomHandler) =>
    bySite(
      {
        main: async (request, reply) => {
          const path = RoomPath.safeParse(request.params);
          const open = path.success ? await findOpenRoom(ctx.db, path.data.room) : null;
          return open ? handler(request, reply, open) : sendNotFound(request, reply);
        },
      },
      sendNotFound,
    );

  /** This browser's own entry in the room, marking the patient present; null without the cookie. */
  const ownEntry = async (request: FastifyRequest, open: OpenRoom) => {
    const token = request.cookies[PATIENT_COOKIE];
    return token ? findOwnWaitingEntry(ctx.db, open.room.id, token, ctx.clock()) : null;
  };

  async function renderRoom(
    request: FastifyRequest,
    reply: FastifyReply,
    open: OpenRoom,
    form?: { name: string; error: string },
    status?: number,
  ) {
    const entry = await ownEntry(request, open);
    return sendPage(
      reply,
      <RoomPage
        providerName={open.provider.name}
        clinicName={open.clinic.name}
        roomName={open.room.name}
        csrfToken={csrfToken(reply)}
        entry={form ? null : entry}
        form={form}
      />,
      status,
    );
  }

  app.get(
    "/:room",
    inOpenRoom(async (request, reply, open) => renderRoom(request, reply, open)),
  );

  app.post(
    "/:room/join",
    {
      preHandler: app.csrfProtection,
      config: {
        rateLimit: {
          max: JOINS_PER_MINUTE,
          timeWindow: "1 minute",
          keyGenerator: (request: FastifyRequest) => `${request.ip} ${(request.params as { room: string }).room.toLowerCase()}`,
        },
      },
    },
    inOpenRoom(async (request, reply, open) => {
      const { name } = JoinForm.parse(formFields(request));
      const joined = await joinWaitingRoom(ctx.db, open.room.id, name, ctx.clock());
      if (!joined.ok)
        return renderRoom(request, reply, open, { name, error: joined.message ?? JOIN_REFUSALS[joined.error] }, statusOf(joined.error));
      reply.setCookie(PATIENT_COOKIE, joined.value.token, { ...cookieOptions(open.room.name), maxAge: PATIENT_COOKIE_SECONDS });
      return seeOther(reply, `/${open.room.name}`);
    }),
  );

  app.post(
    "/:room/leave",
    { preHandler: app.csrfProtection },
    inOpenRoom(async (request, reply, open) => {
      const token = request.cookies[PATIENT_COOKIE];
      if (token) await leaveWaitingRoom(ctx.db, open.room.id, token, ctx.clock());
      reply.clearCookie(PATIENT_COOKIE, cookieOptions(open.room.name));
      return seeOther(reply, `/${open.room.name}`);
    }),
  );

  // The patient's page polls this; it answers only about the entry behind this browser's own cookie.
  app.get(
    "/:room/status",
    { config: { rateLimit: { max: STATUS_CHECKS_PER_MINUTE, timeWindow: "1 minute" } } },
    inOpenRoom(async (request, reply, open) => {
      const entry = await ownEntry(request, open);
      return reply.header("cache-control", "no-store").send({ status: entry?.status ?? "none" });
    }),
  );
}
