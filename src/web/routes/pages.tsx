import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { findClinicBySubdomain } from "../../clinics/clinic.queries.js";
import { DEMO_SUBDOMAIN } from "../../demo/seed-demo.js";
import { clinicOrigin, mainOrigin } from "../../hosts.js";
import { findRoomForUser } from "../../rooms/room.queries.js";
import { listOpenNotifications } from "../../notifications/notification.queries.js";
import { listWaitingRoom } from "../../waiting-room/waiting-room.js";
import type { WebContext } from "../context.js";
import { bySite, csrfToken } from "../forms.js";
import { forClinicAdmin, forSignedIn } from "../guards.js";
import { ClinicSettingsPage } from "../pages/clinic-settings.js";
import { DashboardPage } from "../pages/dashboard.js";
import { HomePage } from "../pages/home.js";
import { notFound, sendProblem } from "../problems.js";
import { sendPage } from "../render.js";
import { seeOther } from "../statuses.js";

/** The pages people land on: home, the clinic dashboard, and providers' rooms. */
export function registerPageRoutes(app: FastifyInstance, ctx: WebContext): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);

  app.get(
    "/",
    bySite(
      {
        main: async (request, reply) => {
          if (request.auth) return seeOther(reply, "/account");
          const demoClinic = ctx.config.demo ? await findClinicBySubdomain(ctx.db, DEMO_SUBDOMAIN) : null;
          const demo = demoClinic
            ? { clinicName: demoClinic.name, signInUrl: `${clinicOrigin(ctx.config, demoClinic.subdomain)}/sign-in` }
            : undefined;
          return sendPage(reply, <HomePage demo={demo} />);
        },
        clinic: async (_request, reply) => seeOther(reply, "/dashboard"),
      },
      sendNotFound,
    ),
  );

  app.get(
    "/dashboard",
    forSignedIn("/dashboard", async (_request, reply, { clinic, auth: { user, membership } }) => {
      const room = await findRoomForUser(ctx.db, user.id);
      // Every member chooses a room name before the dashboard (JIT-created accounts start without one).
      if (!room) return seeOther(reply, "/welcome");
      const isAdmin = membership?.role === "admin";
      return sendPage(
        reply,
        <DashboardPage
          clinicName={clinic.name}
          userName={user.name}
          email={user.email}
          role={membership?.role ?? "provider"}
          roomUrl={`${mainOrigin(ctx.config)}/${room.name}`}
          isAdmin={isAdmin}
          notices={isAdmin ? await listOpenNotifications(ctx.db, clinic.id, user.id) : []}
          waiting={await listWaitingRoom(ctx.db, room.id, ctx.clock())}
          csrfToken={csrfToken(reply)}
        />,
      );
    }),
  );

  app.get(
    "/settings",
    forClinicAdmin(async (_request, reply, { clinic, auth }) =>
      sendPage(reply, <ClinicSettingsPage clinicName={clinic.name} userName={auth.user.name} csrfToken={csrfToken(reply)} />),
    ),
  );
}
