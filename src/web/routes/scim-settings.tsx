import { z } from "zod";
import type { FastifyInstance } from "fastify";
import { clinicOrigin } from "../../hosts.js";
import { findScimAdminGroup, listRecentScimRequests, setScimAdminGroup } from "../../provisioning/scim/scim-requests.js";
import { generateScimToken, listScimTokens, MAX_ACTIVE_SCIM_TOKENS, revokeScimToken } from "../../provisioning/scim/scim-tokens.js";
import type { WebContext } from "../context.js";
import { clientIp, csrfToken, formFields } from "../forms.js";
import { forClinicAdmin } from "../guards.js";
import { keepNotice } from "../notices.js";
import { ScimSection, ScimTokenShownPage } from "../pages/scim-settings.js";
import { sendPage } from "../render.js";
import { seeOther } from "../statuses.js";

/** The SCIM section of /settings/sso. */
export async function scimSection(ctx: WebContext, clinic: { id: string; subdomain: string }, csrf: string) {
  return (
    <ScimSection
      baseUrl={`${clinicOrigin(ctx.config, clinic.subdomain)}/scim/v2`}
      tokens={await listScimTokens(ctx.db, clinic.id)}
      adminGroup={await findScimAdminGroup(ctx.db, clinic.id)}
      requests={await listRecentScimRequests(ctx.db, clinic.id, 20)}
      csrfToken={csrf}
    />
  );
}

const tokenParams = z.object({ id: z.string() });

/** The SCIM forms of /settings/sso on a clinic host, for its admins. */
export function registerScimSettingsRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.post(
    "/settings/sso/scim/tokens",
    { preHandler: app.csrfProtection },
    forClinicAdmin(async (request, reply, admin) => {
      const created = await generateScimToken(ctx.db, admin.clinic, { actor: admin.auth.user.id, ip: clientIp(request) }, ctx.clock());
      if (!created.ok) {
        await keepNotice(ctx, request, {
          page: "sso",
          said: `You already have ${MAX_ACTIVE_SCIM_TOKENS} SCIM tokens: revoke one first.`,
          error: true,
        });
        return seeOther(reply, "/settings/sso#scim");
      }
      // Shown in this answer only (sendPage answers no-store): only the token's hash is kept.
      return sendPage(
        reply,
        <ScimTokenShownPage
          clinicName={admin.clinic.name}
          userName={admin.auth.user.name}
          csrfToken={csrfToken(reply)}
          token={created.value.token}
          baseUrl={`${clinicOrigin(ctx.config, admin.clinic.subdomain)}/scim/v2`}
        />,
      );
    }),
  );

  app.post(
    "/settings/sso/scim/tokens/:id/revoke",
    { preHandler: app.csrfProtection },
    forClinicAdmin(async (request, reply, admin) => {
      // Any other clinic's token, or no token at all, is simply not found among this clinic's.
      const { id } = tokenParams.parse(request.params);
      const revoked = await revokeScimToken(ctx.db, admin.clinic, id, { actor: admin.auth.user.id, ip: clientIp(request) }, ctx.clock());
      const said = revoked.ok ? "The SCIM token is revoked: it no longer works." : "That SCIM token was already revoked.";
      await keepNotice(ctx, request, { page: "sso", said, error: !revoked.ok });
      return seeOther(reply, "/settings/sso#scim");
    }),
  );

  app.post(
    "/settings/sso/scim/admin-group",
    { preHandler: app.csrfProtection },
    forClinicAdmin(async (request, reply, admin) => {
      const group = (formFields(request).adminGroup ?? "").trim().slice(0, 256);
      await setScimAdminGroup(ctx.db, admin.clinic.id, group === "" ? null : group);
      const said =
        group === ""
          ? "No SCIM group makes admins now."
          : `Members of the SCIM group “${group}” become admins as your identity provider pushes them.`;
      await keepNotice(ctx, request, { page: "sso", said });
      return seeOther(reply, "/settings/sso#scim");
    }),
  );
}
