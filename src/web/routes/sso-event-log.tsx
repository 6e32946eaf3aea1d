import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { explainSsoEvents } from "../../sign-in/explain-sso-events.js";
import { findSamlConnection } from "../../sso/saml/connection.queries.js";
import { listSsoEventPage, listSsoFailureCodes } from "../../sso/saml/sso-event-log.js";
import type { WebContext } from "../context.js";
import { csrfToken } from "../forms.js";
import { forClinicAdmin } from "../guards.js";
import { SsoEventLogPage } from "../pages/sso-event-log.js";
import { sendPage } from "../render.js";

const EVENTS_PER_PAGE = 25;
const WEEK_MS = 7 * 24 * 3_600_000;

// The log's filter from the query string; nothing in it is refused: odd values fall back to the defaults.
const EventLogQuery = z
  .object({ show: z.unknown().optional(), days: z.unknown().optional(), reference: z.unknown().optional(), page: z.unknown().optional() })
  .transform((q) => {
    const show = typeof q.show === "string" ? q.show.slice(0, 80) : "all";
    const code = show.startsWith("failure:") ? show.slice("failure:".length) : undefined;
    return {
      show,
      code,
      outcome: show === "successes" ? ("success" as const) : show === "failures" || code ? ("failure" as const) : undefined,
      days: q.days === "all" ? ("all" as const) : ("7" as const),
      reference: typeof q.reference === "string" ? q.reference.trim().slice(0, 40) : "",
      page: Math.min(Math.max(Number.parseInt(String(q.page ?? "1"), 10) || 1, 1), 1000),
    };
  });

/** The clinic's sign-in log (/settings/sso/events) for its admins: filtered, paged, each failure with its fix. */
export function registerSsoEventLogRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    "/settings/sso/events",
    forClinicAdmin(async (request, reply, admin) => {
      const { show, code, outcome, days, reference, page } = EventLogQuery.parse(request.query ?? {});
      // A reference names one attempt, whenever it happened: the time window does not hide it.
      const since = days === "7" && !reference ? new Date(ctx.clock().getTime() - WEEK_MS).toISOString() : undefined;
      const filter = { outcome, code, since, reference: reference || undefined };
      const { events, hasMore } = await listSsoEventPage(ctx.db, admin.clinic.id, filter, { size: EVENTS_PER_PAGE, number: page });
      const connection = await findSamlConnection(ctx.db, admin.clinic.id);
      return sendPage(
        reply,
        <SsoEventLogPage
          clinicName={admin.clinic.name}
          userName={admin.auth.user.name}
          csrfToken={csrfToken(reply)}
          events={explainSsoEvents(events, connection)}
          filter={{ show, days, reference }}
          failureCodes={await listSsoFailureCodes(ctx.db, admin.clinic.id)}
          page={page}
          hasMore={hasMore}
        />,
      );
    }),
  );
}
