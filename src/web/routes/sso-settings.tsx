import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { explainRecentSsoProblems } from "../../sign-in/explain-sso-events.js";
import { changeSamlFlags, type ChangeFlagsError } from "../../sso/saml/change-flags.js";
import { describeSamlConnection } from "../../sso/saml/connection-summary.js";
import { findSamlConnection } from "../../sso/saml/connection.queries.js";
import { listRecentSsoProblems } from "../../sso/saml/sso-events.js";
import { listOpenNotifications } from "../../notifications/notification.queries.js";
import type { WebContext } from "../context.js";
import { clientIp, csrfToken, formFields } from "../forms.js";
import { forClinicAdmin, type ClinicAdmin } from "../guards.js";
import { keepNotice, takeNotice, type Notice } from "../notices.js";
import { SsoConnectPanel } from "../pages/sso-connect-panel.js";
import { SSO_SWITCHES, SsoSettingsPage, type SsoSwitch } from "../pages/sso-settings.js";
import { sendPage } from "../render.js";
import { seeOther, statusOf } from "../statuses.js";
import { recoveryCodesSection } from "./break-glass.js";
import { emailDomainsSection } from "./email-domains.js";
import { loadMetadataRefreshView } from "./metadata-refresh.js";
import { scimSection } from "./scim-settings.js";
import { ssoConnectPanelProps } from "./sso-connect.js";

// The only flags this form may change; anything else posted is refused. Enabling the connection is the operator's.
const SWITCHABLE_FLAGS = ["jitProvisioning", "allowIdpInitiated", "enforceSso"] as const satisfies readonly SsoSwitch[];

const FlagForm = z.object({ flag: z.enum(SWITCHABLE_FLAGS), value: z.enum(["on", "off"]) });

const FLAG_REFUSALS = {
  not_configured: "Single sign-on is not connected yet.",
  enforce_before_first_sign_in: "Single sign-on can be required only after the first successful single sign-on.",
} as const satisfies Record<ChangeFlagsError, string>;

type Messages = { notice?: string | undefined; error?: string | undefined };

/** /settings/sso on a clinic host: the setup values and steps, the connection's state, and its switches. */
export function registerSsoSettingsRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get(
    "/settings/sso",
    forClinicAdmin(async (request, reply, admin) => {
      // The notice comes from the one-time flash kept when something really changed, never from the URL.
      const kept = await takeNotice(ctx, request, "sso");
      return renderSettings(reply, admin, noticeWords(kept));
    }),
  );

  app.post(
    "/settings/sso/flags",
    { preHandler: app.csrfProtection },
    forClinicAdmin(async (request, reply, admin) => {
      const form = FlagForm.safeParse(formFields(request));
      if (!form.success) return renderSettings(reply, admin, { error: "That setting does not exist." }, statusOf("unknown_setting"));
      const { flag, value } = form.data;
      const by = { actor: admin.auth.user.id, ip: clientIp(request) };
      const changed = await changeSamlFlags(ctx.db, admin.clinic, { [flag]: value === "on" }, by, ctx.clock());
      if (!changed.ok) return renderSettings(reply, admin, { error: FLAG_REFUSALS[changed.error] }, statusOf(changed.error));
      await keepNotice(ctx, request, { page: "sso", flag, on: changed.value[flag] });
      return seeOther(reply, "/settings/sso");
    }),
  );

  async function renderSettings(reply: FastifyReply, admin: ClinicAdmin, messages: Messages, status?: number) {
    const { clinic, auth } = admin;
    const connection = await findSamlConnection(ctx.db, clinic.id);
    // One token for every form of the page: a second call could mint a second secret and void the first.
    const csrf = csrfToken(reply);
    return sendPage(
      reply,
      <SsoSettingsPage
        clinicName={clinic.name}
        userName={auth.user.name}
        csrfToken={csrf}
        sso={describeSamlConnection(ctx.config, clinic, connection, ctx.clock())}
        failures={explainRecentSsoProblems(await listRecentSsoProblems(ctx.db, clinic.id, 10))}
        idpSide={<SsoConnectPanel {...ssoConnectPanelProps(connection, csrf)} />}
        notice={messages.notice}
        error={messages.error}
        notices={await listOpenNotifications(ctx.db, clinic.id, auth.user.id)}
        metadataRefresh={await loadMetadataRefreshView(ctx.db, clinic.id)}
        sections={[
          await emailDomainsSection(ctx, clinic.id),
          await recoveryCodesSection(ctx, auth, csrf),
          await scimSection(ctx, clinic, csrf),
        ]}
      />,
      status,
    );
  }
}

/** The notice kept before the redirect, in words: a switch that changed, or what another form of the page said. */
function noticeWords(kept: Extract<Notice, { page: "sso" }> | null): Messages {
  if (kept === null) return {};
  if ("flag" in kept) {
    const flag = SWITCHABLE_FLAGS.find((f) => f === kept.flag);
    return flag ? { notice: `${SSO_SWITCHES[flag].label} is now ${kept.on ? "on" : "off"}.` } : {};
  }
  return kept.error ? { error: kept.said } : { notice: kept.said };
}
