import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { renderToString } from "preact-render-to-string";
import { getClinic } from "../../clinics/clinic.queries.js";
import { findRoomByName, findRoomForUser } from "../../rooms/room.queries.js";
import { findMembershipOfUser, getUser } from "../../users/user.queries.js";
import {
  decideOnPatient,
  findOwnWaitingEntry,
  joinWaitingRoom,
  leaveWaitingRoom,
  listWaitingRoom,
  type JoinRefusal,
} from "../../waiting-room/waiting-room.js";
import type { WebContext } from "../context.js";
import { bySite, csrfToken, formFields } from "../forms.js";
import { WaitingList } from "../pages/dashboard.js";
import { RoomPage } from "../pages/room.js";
import { problem, notFound, sendProblem } from "../problems.js";
import { sendPage } from "../render.js";
import { seeOther, sendJsonRefusal, statusOf } from "../statuses.js";

// The patient's own entry is found by this cookie alone; its path keeps it to the one room it belongs to.
const PATIENT_COOKIE = "waiting";
// Joining is rate-limited per IP and room: a script filling a provider's queue with fake patients meets this first.
const JOINS_PER_MINUTE = 10;
// A patient's page checks its status every few seconds; this leaves room for a few tabs, not a flood.
const STATUS_CHECKS_PER_MINUTE = 120;

const JOIN_REFUSALS: Record<JoinRefusal, string> = {
  invalid_name: "Type your name so your provider knows who is waiting.",
  room_full: "This waiting room is full right now. Please try again in a few minutes.",
};

/** Patients in providers' waiting rooms (main site, no account) and providers admitting them (clinic host). */
export function registerWaitingRoomRoutes(app: FastifyInstance, ctx: WebContext): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);
  const cookieOptions = (roomName: string) => ({
    path: `/${roomName}`,
    httpOnly: true,
    sameSite: "lax" as const,
    secure: ctx.config.scheme === "https",
  });

  /** The room behind a path segment, with its provider and clinic, if the provider is an active member. */
  async function openRoom(name: string) {
    const room = /^[a-z0-9-]{3,40}$/i.test(name) ? await findRoomByName(ctx.db, name) : null;
    const membership = room ? await findMembershipOfUser(ctx.db, room.userId) : null;
    if (!room || !membership || membership.status !== "active") return null;
    const [provider, clinic] = await Promise.all([getUser(ctx.db, room.userId), getClinic(ctx.db, membership.clinicId)]);
    return { room, provider, clinic };
  }

  async function renderRoom(
    request: FastifyRequest,
    reply: FastifyReply,
    open: NonNullable<Awaited<ReturnType<typeof openRoom>>>,
    form?: { name: string; error: string },
    status?: number,
  ) {
    const token = request.cookies[PATIENT_COOKIE];
    const entry = token ? await findOwnWaitingEntry(ctx.db, open.room.id, token, ctx.clock()) : null;
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

  app.get<{ Params: { room: string } }>(
    "/:room",
    bySite(
      {
        main: async (request, reply) => {
          const open = await openRoom((request.params as { room: string }).room);
          return open ? renderRoom(request, reply, open) : sendNotFound(request, reply);
        },
      },
      sendNotFound,
    ),
  );

  app.post<{ Params: { room: string } }>(
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
    bySite(
      {
        main: async (request, reply) => {
          const open = await openRoom((request.params as { room: string }).room);
          if (!open) return sendNotFound(request, reply);
          const typed = (formFields(request).name ?? "").slice(0, 200);
          const joined = await joinWaitingRoom(ctx.db, open.room.id, typed, ctx.clock());
          if (!joined.ok) {
            const error = joined.message ?? JOIN_REFUSALS[joined.error];
            return renderRoom(request, reply, open, { name: typed, error }, statusOf(joined.error));
          }
          reply.setCookie(PATIENT_COOKIE, joined.value.token, { ...cookieOptions(open.room.name), maxAge: 12 * 3600 });
          return seeOther(reply, `/${open.room.name}`);
        },
      },
      sendNotFound,
    ),
  );

  app.post<{ Params: { room: string } }>(
    "/:room/leave",
    { preHandler: app.csrfProtection },
    bySite(
      {
        main: async (request, reply) => {
          const open = await openRoom((request.params as { room: string }).room);
          if (!open) return sendNotFound(request, reply);
          const token = request.cookies[PATIENT_COOKIE];
          if (token) await leaveWaitingRoom(ctx.db, open.room.id, token, ctx.clock());
          reply.clearCookie(PATIENT_COOKIE, cookieOptions(open.room.name));
          return seeOther(reply, `/${open.room.name}`);
        },
      },
      sendNotFound,
    ),
  );

  // The patient's page polls this; it answers only about the entry behind this browser's own cookie.
  app.get<{ Params: { room: string } }>(
    "/:room/status",
    { config: { rateLimit: { max: STATUS_CHECKS_PER_MINUTE, timeWindow: "1 minute" } } },
    bySite(
      {
        main: async (request, reply) => {
          const open = await openRoom((request.params as { room: string }).room);
          if (!open) return sendNotFound(request, reply);
          const token = request.cookies[PATIENT_COOKIE];
          const entry = token ? await findOwnWaitingEntry(ctx.db, open.room.id, token, ctx.clock()) : null;
          return reply.header("cache-control", "no-store").send({ status: entry?.status ?? "none" });
        },
      },
      sendNotFound,
    ),
  );

  /** The signed-in provider's own room on this clinic host, or null after answering. */
  async function providerRoom(request: FastifyRequest, reply: FastifyReply) {
    if (!request.clinic) {
      await sendNotFound(request, reply);
      return null;
    }
    if (!request.auth) {
      await sendJsonRefusal(reply, "signed_out", "Sign in again to see your waiting room.");
      return null;
    }
    const room = await findRoomForUser(ctx.db, request.auth.user.id);
    if (!room) {
      await sendJsonRefusal(reply, "no_room", "Choose your room name first.");
      return null;
    }
    return room;
  }

  app.get("/api/v1/waiting-room", async (request, reply) => {
    const room = await providerRoom(request, reply);
    if (!room) return reply;
    const waiting = await listWaitingRoom(ctx.db, room.id, ctx.clock());
    return reply.header("cache-control", "no-store").send({ room: room.name, waiting });
  });

  // The dashboard's list alone, the same markup the dashboard renders, for public/dashboard.js to swap in.
  app.get("/waiting-room", async (request, reply) => {
    const room = await providerRoom(request, reply);
    if (!room) return reply;
    const waiting = await listWaitingRoom(ctx.db, room.id, ctx.clock());
    return reply
      .header("content-type", "text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .send(renderToString(<WaitingList waiting={waiting} csrfToken={csrfToken(reply)} />));
  });

  for (const [action, decision] of [
    ["admit", "admitted"],
    ["dismiss", "dismissed"],
  ] as const) {
    app.post(`/waiting-room/${action}`, { preHandler: app.csrfProtection }, async (request, reply) => {
      if (request.clinic && !request.auth) return seeOther(reply, "/sign-in?returnTo=%2Fdashboard");
      const room = await providerRoom(request, reply);
      if (!room) return reply;
      // Only an entry of the provider's own room: another room's patient id is simply not found.
      const decided = await decideOnPatient(ctx.db, room.id, formFields(request).patient ?? "", decision, ctx.clock());
      if (!decided.ok) {
        return sendProblem(
          request,
          reply,
          problem("patient_not_waiting", {
            title: "That patient is no longer waiting",
            message: "They may have left, or the visit already ended. Your dashboard shows who is waiting now.",
            next: { href: "/dashboard", label: "Back to your dashboard" },
          }),
        );
      }
      return seeOther(reply, "/dashboard");
    });
  }
}
