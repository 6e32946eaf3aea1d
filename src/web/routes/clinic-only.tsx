import type { FastifyInstance } from "fastify";
import { getClinic } from "../../clinics/clinic.queries.js";
import { clinicOrigin } from "../../hosts.js";
import type { WebContext } from "../context.js";
import { csrfToken } from "../forms.js";
import { ClinicOnlyPage } from "../pages/clinic-only.js";
import { sendPage } from "../render.js";

/** Pages that exist only on a clinic's own host, by path, with what they are in words. */
const CLINIC_ONLY_PAGES: Record<string, string> = {
  "/dashboard": "Your dashboard",
  "/welcome": "Choosing your room name",
  "/settings": "Clinic settings",
  "/settings/users": "Manage Users",
  "/settings/sso": "Single sign-on settings",
};

/**
 * On the main site, a clinic-only page answers with where it really is (the person's own clinic when they are
 * signed in, else how clinic addresses look) instead of a dead-end 404.
 */
export function registerClinicOnlyFallback(app: FastifyInstance, ctx: WebContext): void {
  app.addHook("onRequest", async (request, reply) => {
    if (request.clinic || request.method !== "GET") return;
    const path = request.url.split("?")[0] ?? "";
    const what = CLINIC_ONLY_PAGES[path];
    if (!what || reply.sent) return;
    const membership = request.auth?.membership;
    const clinic = membership ? await getClinic(ctx.db, membership.clinicId) : null;
    const origin = clinic ? clinicOrigin(ctx.config, clinic.subdomain) : null;
    return sendPage(
      reply,
      <ClinicOnlyPage
        what={what}
        clinic={
          clinic && origin
            ? { name: clinic.name, url: `${origin}/sign-in?returnTo=${encodeURIComponent(path)}`, address: `${origin}${path}` }
            : null
        }
        exampleHost={clinicOrigin(ctx.config, "yourclinic").replace(/^https?:\/\//, "")}
        signedInAs={request.auth ? { name: request.auth.user.name, csrfToken: csrfToken(reply) } : undefined}
      />,
    );
  });
}
