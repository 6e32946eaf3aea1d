import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { diagnoseFailure } from "../../sign-in/diagnose-failure.js";
import { explainRecordedFailure } from "../../sign-in/failure-messages.js";
import { diagnosePastedResponse, MAX_PASTED_RESPONSE_CHARS } from "../../sign-in/test-sign-in.js";
import { newBrowserBinding } from "../../sso/saml/browser-binding.js";
import { settingsFingerprint, type SamlConnection } from "../../sso/saml/connection.js";
import { findSamlConnection } from "../../sso/saml/connection.queries.js";
import { IDP_PRESETS, PRESETS } from "../../sso/saml/presets.js";
import { serviceProviderUrls } from "../../sso/saml/service-provider.js";
import { listSsoEventPage, listSsoFailureCodes } from "../../sso/saml/sso-event-log.js";
import { startSamlLogin } from "../../sso/saml/start-login.js";
import { switchSamlConnection } from "../../sso/saml/switch-connection.js";
import type { WebContext } from "../context.js";
import { clientIp, csrfToken, formFields } from "../forms.js";
import { requireClinicAdmin } from "../guards.js";
import { keepNotice } from "../notices.js";
import { AutoPostPage } from "../pages/auto-post.js";
import type { SsoConnectPanelProps } from "../pages/sso-connect-panel.js";
import { ConnectIdpPage, PasteResponsePage, type ConnectFormValues } from "../pages/sso-connect.js";
import { SsoEventLogPage } from "../pages/sso-event-log.js";
import { registerIdpSideRoutes } from "./sso-idp-side.js";
import { sendPage } from "../render.js";
import { readSsoBinding, setSsoBinding } from "../sso-binding-cookie.js";
import { seeOther } from "../statuses.js";

// Successes other than a sign-in that the log records, in its words.
const SUCCESS_WORDS: Record<string, string> = {
  test_sign_in_passed: "Test sign-in passed",
  certificate_removed: "Certificate removed",
};

const EVENTS_PER_PAGE = 25;
const WEEK_MS = 7 * 24 * 3_600_000;

/** What the single sign-on page's connect-and-test panel shows of a connection. */
export function ssoConnectPanelProps(connection: SamlConnection | null, csrf: string): SsoConnectPanelProps {
  return {
    csrfToken: csrf,
    configured: connection !== null,
    enabled: connection?.enabled ?? false,
    tested: connection !== null && connection.testedSettings === settingsFingerprint(connection),
    presetLabel: connection ? PRESETS[connection.preset].label : null,
    nextStaged: (connection?.certificates.length ?? 0) > 1,
    certificates: (connection?.certificates ?? []).map((c) => ({
      subject: c.subject,
      fingerprintSha256: c.fingerprintSha256,
      notAfter: c.notAfter,
    })),
  };
}

/** The clinic admin's self-service for the IdP side: connect, test, paste a response, turn on, rollover, the log. */
export function registerSsoConnectRoutes(app: FastifyInstance, ctx: WebContext): void {
  registerIdpSideRoutes(app, ctx);
  const done = async (request: FastifyRequest, reply: FastifyReply, said: string, error = false) => {
    await keepNotice(ctx, request, { page: "sso", said, error });
    return seeOther(reply, "/settings/sso");
  };

  app.get("/settings/sso/connect", async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const connection = await findSamlConnection(ctx.db, admin.clinic.id);
    const asked = (request.query as Record<string, unknown>).idp;
    const preset = IDP_PRESETS.find((p) => p === asked) ?? connection?.preset ?? "okta";
    const fromUrl = connection?.source.startsWith("http") ? connection.source : "";
    const values: ConnectFormValues = {
      preset,
      method: connection && !fromUrl ? "manual" : "metadataUrl",
      metadataUrl: fromUrl,
      metadataXml: "",
      idpEntityId: connection?.idpEntityId ?? "",
      idpSsoUrl: connection?.idpSsoUrl ?? "",
      certificate: "",
    };
    return sendPage(
      reply,
      <ConnectIdpPage clinicName={admin.clinic.name} userName={admin.auth.user.name} csrfToken={csrfToken(reply)} values={values} />,
    );
  });

  app.post("/settings/sso/test", { preHandler: app.csrfProtection }, async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const certificates = formFields(request).certificates === "next" ? "next" : "current";
    const connection = await findSamlConnection(ctx.db, admin.clinic.id);
    if (!connection) return done(request, reply, "Connect your identity provider first.", true);
    if (certificates === "next" && connection.certificates.length < 2)
      return done(request, reply, "Stage the next certificate before rehearsing the rollover.", true);
    const binding = readSsoBinding(request, ctx.config) ?? newBrowserBinding();
    const sp = serviceProviderUrls(ctx.config, admin.clinic.subdomain);
    // A test runs while the connection is off: proving it is what turning it on waits for.
    const start = await startSamlLogin(ctx.db, connection, sp, "/settings/sso", binding, ctx.clock(), { test: certificates });
    setSsoBinding(reply, ctx.config, binding);
    if (start.binding === "redirect") return reply.header("cache-control", "no-store").redirect(start.url, 303);
    return sendPage(
      reply,
      <AutoPostPage title="Continue to your identity provider" action={start.action} fields={start.fields} brand={admin.clinic.name} />,
    );
  });

  app.get("/settings/sso/diagnose", async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    return sendPage(
      reply,
      <PasteResponsePage
        clinicName={admin.clinic.name}
        userName={admin.auth.user.name}
        csrfToken={csrfToken(reply)}
        maxChars={MAX_PASTED_RESPONSE_CHARS}
      />,
    );
  });

  // Form-encoding inflates base64 (+, /, = become three characters each): room for the largest paste accepted.
  app.post(
    "/settings/sso/diagnose",
    { preHandler: app.csrfProtection, bodyLimit: 4 * MAX_PASTED_RESPONSE_CHARS },
    async (request, reply) => {
      const admin = await requireClinicAdmin(request, reply);
      if (!admin) return reply;
      // The pasted response is neither stored nor logged: it lives only in this request.
      const pasted = (formFields(request).samlResponse ?? "").trim();
      const page = (extra: { report?: Awaited<ReturnType<typeof diagnosePastedResponse>>; error?: string }, status = 200) =>
        sendPage(
          reply,
          <PasteResponsePage
            clinicName={admin.clinic.name}
            userName={admin.auth.user.name}
            csrfToken={csrfToken(reply)}
            maxChars={MAX_PASTED_RESPONSE_CHARS}
            {...extra}
          />,
          status,
        );
      if (pasted === "") return page({ error: "Paste the SAMLResponse value first." }, 400);
      if (pasted.length > MAX_PASTED_RESPONSE_CHARS) {
        return page(
          {
            error: `This is ${pasted.length.toLocaleString("en")} characters long; a SAMLResponse is at most ${MAX_PASTED_RESPONSE_CHARS.toLocaleString("en")}. Paste only the SAMLResponse value, not the whole request.`,
          },
          413,
        );
      }
      if (!(await findSamlConnection(ctx.db, admin.clinic.id))) return page({ error: "Connect your identity provider first." }, 409);
      const sp = serviceProviderUrls(ctx.config, admin.clinic.subdomain);
      return page({ report: await diagnosePastedResponse(ctx.db, admin.clinic, pasted, sp, ctx.clock()) });
    },
  );

  app.post("/settings/sso/enabled", { preHandler: app.csrfProtection }, async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const on = formFields(request).value === "on";
    const switched = await switchSamlConnection(
      ctx.db,
      admin.clinic,
      on,
      { actor: admin.auth.user.id, ip: clientIp(request) },
      ctx.clock(),
    );
    if (!switched.ok) {
      const why =
        switched.error === "not_configured"
          ? "Connect your identity provider first."
          : "Single sign-on can be turned on only after a test sign-in passes with the settings as they are now: run Test sign-in first.";
      return done(request, reply, why, true);
    }
    return done(request, reply, `Single sign-on is now ${on ? "on" : "off"}.`);
  });

  app.get("/settings/sso/events", async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const q = request.query as Record<string, unknown>;
    const show = typeof q.show === "string" ? q.show.slice(0, 80) : "all";
    const days = q.days === "all" ? "all" : "7";
    const reference = typeof q.reference === "string" ? q.reference.trim().slice(0, 40) : "";
    const pageNumber = Math.min(Math.max(Number.parseInt(String(q.page ?? "1"), 10) || 1, 1), 1000);
    const code = show.startsWith("failure:") ? show.slice("failure:".length) : undefined;
    const outcome = show === "successes" ? "success" : show === "failures" || code ? "failure" : undefined;
    // A reference names one attempt, whenever it happened: the time window does not hide it.
    const since = days === "7" && !reference ? new Date(ctx.clock().getTime() - WEEK_MS).toISOString() : undefined;
    const connection = await findSamlConnection(ctx.db, admin.clinic.id);
    const { events, hasMore } = await listSsoEventPage(
      ctx.db,
      admin.clinic.id,
      { outcome, code, since, reference: reference || undefined },
      { size: EVENTS_PER_PAGE, number: pageNumber },
    );
    const trusted = (connection?.certificates ?? []).map((c, i) => ({
      slot: i === 0 ? "current" : "next",
      fingerprintSha256: c.fingerprintSha256,
    }));
    const explained = events.map((e) => ({
      ...e,
      explanation:
        e.outcome === "success"
          ? (SUCCESS_WORDS[e.code] ?? "Signed in")
          : e.signatureVerified
            ? explainRecordedFailure(e.code).title
            : `${e.count === 1 ? "A message" : `${e.count} messages`} whose signature did not verify`,
      fix:
        e.outcome === "failure"
          ? (e.fix ?? diagnoseFailure(e.code, e.reason, { preset: connection?.preset ?? "generic", trusted }).fix)
          : null,
    }));
    return sendPage(
      reply,
      <SsoEventLogPage
        clinicName={admin.clinic.name}
        userName={admin.auth.user.name}
        csrfToken={csrfToken(reply)}
        events={explained}
        filter={{ show, days, reference }}
        failureCodes={await listSsoFailureCodes(ctx.db, admin.clinic.id)}
        page={pageNumber}
        hasMore={hasMore}
      />,
    );
  });
}
