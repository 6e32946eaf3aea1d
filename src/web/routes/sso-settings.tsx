import type { FastifyInstance, FastifyReply } from "fastify";
import type { Clinic } from "../../clinics/clinic.js";
import { changeSamlFlags } from "../../sso/saml/change-flags.js";
import { describeSamlConnection } from "../../sso/saml/connection-summary.js";
import { findSamlConnection } from "../../sso/saml/connection.queries.js";
import { listOpenNotifications } from "../../notifications/notification.queries.js";
import { loadMetadataRefreshView } from "./metadata-refresh.js";
import { explainRecordedFailure } from "../../sign-in/failure-messages.js";
import { listRecentSsoProblems, type SsoEvent } from "../../sso/saml/sso-events.js";
import type { WebContext } from "../context.js";
import { clientIp, csrfToken, formFields } from "../forms.js";
import { requireClinicAdmin } from "../guards.js";
import { SSO_SWITCHES, SsoSettingsPage, type SsoSwitch } from "../pages/sso-settings.js";
import { keepNotice, takeNotice } from "../notices.js";
import { sendPage } from "../render.js";
import { seeOther, statusOf } from "../statuses.js";
import { recoveryCodesSection } from "./break-glass.js";
import { emailDomainsSection } from "./email-domains.js";
import { scimSection } from "./scim-settings.js";
import { SsoConnectPanel } from "../pages/sso-connect-panel.js";
import { ssoConnectPanelProps } from "./sso-connect.js";

// The only flags this form may change; anything else posted is refused. Enabling the connection is the operator's.
const SWITCHABLE_FLAGS = ["jitProvisioning", "allowIdpInitiated", "enforceSso"] as const satisfies readonly SsoSwitch[];

/** /settings/sso on a clinic host: the setup values and steps, the connection's state, and its switches. */
export function registerSsoSettingsRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get("/settings/sso", async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    // The notice comes from the one-time flash kept when the switch really changed, never from the URL.
    const changed = await takeNotice(ctx, request, "sso");
    const switched = changed && "flag" in changed ? changed : null;
    const said = changed && "said" in changed ? changed : null;
    const flag = SWITCHABLE_FLAGS.find((f) => f === switched?.flag);
    return renderSettings(reply, admin.clinic, admin.auth.user.name, {
      notice: flag ? `${SSO_SWITCHES[flag].label} is now ${switched?.on ? "on" : "off"}.` : said && !said.error ? said.said : undefined,
      error: said?.error ? said.said : undefined,
    });
  });

  app.post("/settings/sso/flags", { preHandler: app.csrfProtection }, async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const fields = formFields(request);
    const flag = SWITCHABLE_FLAGS.find((f) => f === fields.flag);
    if (!flag || (fields.value !== "on" && fields.value !== "off")) {
      return renderSettings(
        reply,
        admin.clinic,
        admin.auth.user.name,
        { error: "That setting does not exist." },
        statusOf("unknown_setting"),
      );
    }
    const changed = await changeSamlFlags(
      ctx.db,
      admin.clinic,
      { [flag]: fields.value === "on" },
      { actor: admin.auth.user.id, ip: clientIp(request) },
      ctx.clock(),
    );
    if (!changed.ok) {
      const error =
        changed.error === "not_configured"
          ? "Single sign-on is not connected yet."
          : "Single sign-on can be required only after the first successful single sign-on.";
      return renderSettings(reply, admin.clinic, admin.auth.user.name, { error }, statusOf(changed.error));
    }
    await keepNotice(ctx, request, { page: "sso", flag, on: changed.value[flag] });
    return seeOther(reply, "/settings/sso");
  });

  async function renderSettings(
    reply: FastifyReply,
    clinic: Clinic,
    userName: string,
    messages: { notice?: string | undefined; error?: string | undefined },
    status?: number,
  ) {
    const connection = await findSamlConnection(ctx.db, clinic.id);
    const failures = await listRecentSsoProblems(ctx.db, clinic.id, 10);
    const explained = failures.map((f) => {
      const e = explainRecordedFailure(f.code);
      return { ...f, explanation: f.signatureVerified ? e.title : describeUnverified(f), fix: e.fix };
    });
    // One token for every form of the page: a second call could mint a second secret and void the first.
    const csrf = csrfToken(reply);
    return sendPage(
      reply,
      <SsoSettingsPage
        clinicName={clinic.name}
        userName={userName}
        csrfToken={csrf}
        sso={describeSamlConnection(ctx.config, clinic, connection, ctx.clock())}
        failures={explained}
        idpSide={<SsoConnectPanel {...ssoConnectPanelProps(connection, csrf)} />}
        notice={messages.notice}
        error={messages.error}
        notices={await listOpenNotifications(ctx.db, clinic.id, reply.request.auth?.user.id ?? "")}
        metadataRefresh={await loadMetadataRefreshView(ctx.db, clinic.id)}
        sections={[
          await emailDomainsSection(ctx, clinic.id),
          reply.request.auth && (await recoveryCodesSection(ctx, reply.request.auth, csrf)),
          await scimSection(ctx, clinic, csrf),
        ]}
      />,
      status,
    );
  }
}

// Posts nobody vouched for are told as what they are, counted per address, never in the message's own words.
function describeUnverified(event: SsoEvent): string {
  const posts = event.count === 1 ? "1 message" : `${event.count} messages`;
  const from = event.ip === null ? "other addresses" : event.ip;
  const when = (at: string) => at.slice(0, 16).replace("T", " ");
  const span = event.count === 1 ? "" : ` between ${when(event.firstAt)} and ${when(event.at)} UTC`;
  return `${posts} whose signature did not verify, from ${from}${span}`;
}
