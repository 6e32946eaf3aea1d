import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { diagnosePastedResponse, MAX_PASTED_RESPONSE_CHARS } from "../../sign-in/test-sign-in.js";
import { newBrowserBinding } from "../../sso/saml/browser-binding.js";
import { settingsFingerprint, type SamlConnection } from "../../sso/saml/connection.js";
import { findSamlConnection } from "../../sso/saml/connection.queries.js";
import { IDP_PRESETS, PRESETS } from "../../sso/saml/presets.js";
import { serviceProviderUrls } from "../../sso/saml/service-provider.js";
import { startSamlLogin } from "../../sso/saml/start-login.js";
import { switchSamlConnection, type SwitchConnectionError } from "../../sso/saml/switch-connection.js";
import type { WebContext } from "../context.js";
import { clientIp, csrfToken, formFields } from "../forms.js";
import { forClinicAdmin, type ClinicAdmin } from "../guards.js";
import { backToSsoSettings } from "../notices.js";
import { AutoPostPage } from "../pages/auto-post.js";
import type { SsoConnectPanelProps } from "../pages/sso-connect-panel.js";
import { ConnectIdpPage, PasteResponsePage, type ConnectFormValues } from "../pages/sso-connect.js";
import { sendPage } from "../render.js";
import { readSsoBinding, setSsoBinding } from "../sso-binding-cookie.js";
import { statusOf } from "../statuses.js";
import { registerIdpSideRoutes } from "./sso-idp-side.js";

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

/** The clinic admin's self-service for the IdP side: connect, test, paste a response, turn on, rollover. */
export function registerSsoConnectRoutes(app: FastifyInstance, ctx: WebContext): void {
  registerIdpSideRoutes(app, ctx);
  const csrf = { preHandler: app.csrfProtection };
  const actorOf = (request: FastifyRequest, admin: ClinicAdmin) => ({ actor: admin.auth.user.id, ip: clientIp(request) });

  /** The connect form as the page opens; saving it is in sso-idp-side.tsx (multipart, for the files). */
  const renderConnect = (reply: FastifyReply, admin: ClinicAdmin, values: ConnectFormValues) =>
    sendPage(
      reply,
      <ConnectIdpPage clinicName={admin.clinic.name} userName={admin.auth.user.name} csrfToken={csrfToken(reply)} values={values} />,
    );

  /** The paste-a-response page, empty, with a diagnosis, or with a refusal and the status statuses.ts gives it. */
  const renderPaste = (reply: FastifyReply, admin: ClinicAdmin, shown: { report?: PastedReport; refused?: PasteRefusal } = {}) =>
    sendPage(
      reply,
      <PasteResponsePage
        clinicName={admin.clinic.name}
        userName={admin.auth.user.name}
        csrfToken={csrfToken(reply)}
        maxChars={MAX_PASTED_RESPONSE_CHARS}
        {...(shown.report ? { report: shown.report } : {})}
        {...(shown.refused ? { error: shown.refused.message } : {})}
      />,
      shown.refused ? statusOf(shown.refused.code) : 200,
    );

  app.get(
    "/settings/sso/connect",
    forClinicAdmin(async (request, reply, admin) => {
      const connection = await findSamlConnection(ctx.db, admin.clinic.id);
      return renderConnect(reply, admin, connectFormFor(connection, (request.query as Record<string, unknown> | undefined)?.idp));
    }),
  );

  app.post(
    "/settings/sso/test",
    csrf,
    forClinicAdmin(async (request, reply, admin) => {
      const certificates = formFields(request).certificates === "next" ? "next" : "current";
      const connection = await findSamlConnection(ctx.db, admin.clinic.id);
      if (!connection) return backToSsoSettings(ctx, request, reply, "Connect your identity provider first.", true);
      if (certificates === "next" && connection.certificates.length < 2)
        return backToSsoSettings(ctx, request, reply, "Stage the next certificate before rehearsing the rollover.", true);
      const binding = readSsoBinding(request, ctx.config) ?? newBrowserBinding();
      const sp = serviceProviderUrls(ctx.config, admin.clinic.subdomain);
      // A test runs while the connection is off: proving it is what turning it on waits for.
      const login = { sp, returnTo: "/settings/sso", browserBinding: binding, purpose: { test: certificates } } as const;
      const start = await startSamlLogin(ctx.db, connection, login, ctx.clock());
      setSsoBinding(reply, ctx.config, binding);
      if (start.binding === "redirect") return reply.header("cache-control", "no-store").redirect(start.url, 303);
      return sendPage(
        reply,
        <AutoPostPage title="Continue to your identity provider" action={start.action} fields={start.fields} brand={admin.clinic.name} />,
      );
    }),
  );

  app.get(
    "/settings/sso/diagnose",
    forClinicAdmin(async (_request, reply, admin) => renderPaste(reply, admin)),
  );

  // Form-encoding inflates base64 (+, /, = become three characters each): room for the largest paste accepted.
  app.post(
    "/settings/sso/diagnose",
    { ...csrf, bodyLimit: 4 * MAX_PASTED_RESPONSE_CHARS },
    forClinicAdmin(async (request, reply, admin) => {
      // The pasted response is neither stored nor logged: it lives only in this request.
      const pasted = parsePastedResponse(formFields(request).samlResponse);
      if (!pasted.ok) return renderPaste(reply, admin, { refused: pasted.error });
      if (!(await findSamlConnection(ctx.db, admin.clinic.id))) return renderPaste(reply, admin, { refused: NOT_CONNECTED });
      const sp = serviceProviderUrls(ctx.config, admin.clinic.subdomain);
      return renderPaste(reply, admin, {
        report: await diagnosePastedResponse(ctx.db, admin.clinic, pasted.value, sp, ctx.samlVerifier, ctx.clock()),
      });
    }),
  );

  app.post(
    "/settings/sso/enabled",
    csrf,
    forClinicAdmin(async (request, reply, admin) => {
      const on = formFields(request).value === "on";
      const switched = await switchSamlConnection(ctx.db, admin.clinic, on, actorOf(request, admin), ctx.clock());
      if (!switched.ok) return backToSsoSettings(ctx, request, reply, SWITCH_REFUSALS[switched.error], true);
      return backToSsoSettings(ctx, request, reply, `Single sign-on is now ${on ? "on" : "off"}.`);
    }),
  );
}

const SWITCH_REFUSALS = {
  not_configured: "Connect your identity provider first.",
  not_tested: "Single sign-on can be turned on only after a test sign-in passes with the settings as they are now: run Test sign-in first.",
} satisfies Record<SwitchConnectionError, string>;

type PastedReport = Awaited<ReturnType<typeof diagnosePastedResponse>>;
type PasteRefusal = { code: "pasted_response_missing" | "pasted_response_too_long" | "diagnose_before_connecting"; message: string };

const NOT_CONNECTED: PasteRefusal = { code: "diagnose_before_connecting", message: "Connect your identity provider first." };

function parsePastedResponse(raw: string | undefined): { ok: true; value: string } | { ok: false; error: PasteRefusal } {
  const pasted = (raw ?? "").trim();
  if (pasted === "") return { ok: false, error: { code: "pasted_response_missing", message: "Paste the SAMLResponse value first." } };
  if (pasted.length > MAX_PASTED_RESPONSE_CHARS) {
    const message = `This is ${pasted.length.toLocaleString("en")} characters long; a SAMLResponse is at most ${MAX_PASTED_RESPONSE_CHARS.toLocaleString("en")}. Paste only the SAMLResponse value, not the whole request.`;
    return { ok: false, error: { code: "pasted_response_too_long", message } };
  }
  return { ok: true, value: pasted };
}

/** The connect form as the page opens: the IdP asked for in the link, else the connection's, with what it has. */
function connectFormFor(connection: SamlConnection | null, asked: unknown): ConnectFormValues {
  const fromUrl = connection?.source.startsWith("http") ? connection.source : "";
  return {
    preset: IDP_PRESETS.find((p) => p === asked) ?? connection?.preset ?? "okta",
    method: connection && !fromUrl ? "manual" : "metadataUrl",
    metadataUrl: fromUrl,
    metadataXml: "",
    idpEntityId: connection?.idpEntityId ?? "",
    idpSsoUrl: connection?.idpSsoUrl ?? "",
    certificate: "",
  };
}
