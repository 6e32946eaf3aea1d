import type { FastifyInstance } from "fastify";
import { dismissNotification } from "../../notifications/notification.queries.js";
import type { WebContext } from "../context.js";
import { formFields } from "../forms.js";
import { forClinicAdmin } from "../guards.js";
import { NOTICE_PAGES } from "../pages/notification-banners.js";
import { seeOther } from "../statuses.js";

/** Dismissing a notice on a clinic host: for that clinic's admins, for that clinic's notices only. */
export function registerNotificationRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.post(
    "/notifications/dismiss",
    { preHandler: app.csrfProtection },
    forClinicAdmin(async (request, reply, admin) => {
      const fields = formFields(request);
      // Back to one of the two pages that show notices, never to an address taken from the form.
      const page = NOTICE_PAGES.find((p) => p === fields.page) ?? "/dashboard";
      // Another clinic's notice, or one already dismissed, matches no row: the page simply no longer shows it.
      await dismissNotification(ctx.db, admin.clinic.id, fields.id ?? "", admin.auth.user.id, ctx.clock());
      return seeOther(reply, page);
    }),
  );
}
