import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { clinicOrigin } from "../../hosts.js";
import { findSamlConnection } from "../../sso/saml/connection.queries.js";
import { isActiveClinicAdmin, signInWithSaml } from "../../sign-in/sign-in-with-saml.js";
import { finishTestSignIn } from "../../sign-in/test-sign-in.js";
import { TestResultPage } from "../pages/sso-connect.js";
import { explainSsoFailure } from "../../sign-in/failure-messages.js";
import { serviceProviderMetadata, serviceProviderUrls } from "../../sso/saml/service-provider.js";
import { newBrowserBinding } from "../../sso/saml/browser-binding.js";
import { startSamlLogin } from "../../sso/saml/start-login.js";
import { limitAcsPosts } from "../acs-rate-limits.js";
import type { WebContext } from "../context.js";
import { bySite, clientIp } from "../forms.js";
import { AutoPostPage } from "../pages/auto-post.js";
import { problem, notFound, sendProblem, type Problem } from "../problems.js";
import { sendPage } from "../render.js";
import { safeReturnPath } from "../return-to.js";
import { readSessionToken, setSessionCookie } from "../session-cookie.js";
import { readSsoBinding, setSsoBinding } from "../sso-binding-cookie.js";
import { redirectToIdp, seeOther } from "../statuses.js";

// A real response is 4–30 KiB; the verifier's own guard stops at 256 KiB decoded. Form-encoding inflates base64.
const ACS_BODY_LIMIT_BYTES = 1024 * 1024;

const ssoUnavailable: Problem = problem("sso_not_enabled", {
  title: "Single sign-on is not available",
  message: "This clinic has not turned on single sign-on. Sign in with your email and password instead.",
  next: { href: "/sign-in", label: "Back to sign-in" },
});

/**
 * Where an IdP-initiated sign-in lands: the RelayState if it is a path on this very clinic host (or its full
 * URL, as Okta's Default RelayState is), else the dashboard. Never another origin.
 */
function relayStateTarget(relayState: unknown, origin: string): string {
  if (typeof relayState === "string" && relayState.startsWith(`${origin}/`)) {
    return safeReturnPath(relayState.slice(origin.length)) ?? "/dashboard";
  }
  return safeReturnPath(relayState) ?? "/dashboard";
}

/** The clinic's SAML service provider: metadata, SP-initiated start, and the Assertion Consumer Service. */
export function registerSamlRoutes(app: FastifyInstance, ctx: WebContext): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);

  app.get(
    "/saml/metadata",
    bySite(
      {
        clinic: async (request, reply) => {
          const sp = serviceProviderUrls(ctx.config, request.clinic!.subdomain);
          return reply
            .header("content-type", "application/samlmetadata+xml; charset=utf-8")
            .header("content-disposition", `inline; filename="${request.clinic!.subdomain}-sp-metadata.xml"`)
            .send(serviceProviderMetadata(sp));
        },
      },
      sendNotFound,
    ),
  );

  app.get(
    "/saml/login",
    bySite(
      {
        clinic: async (request, reply) => {
          const clinic = request.clinic!;
          const connection = await findSamlConnection(ctx.db, clinic.id);
          if (!connection?.enabled) return sendProblem(request, reply, ssoUnavailable);
          const returnTo = safeReturnPath((request.query as Record<string, unknown>).returnTo) ?? "/dashboard";
          // One value per browser, kept across sign-ins started in several tabs; the request stores only its hash.
          const binding = readSsoBinding(request, ctx.config) ?? newBrowserBinding();
          const sp = serviceProviderUrls(ctx.config, clinic.subdomain);
          const start = await startSamlLogin(ctx.db, connection, { sp, returnTo, browserBinding: binding }, ctx.clock());
          setSsoBinding(reply, ctx.config, binding);
          if (start.binding === "redirect") return redirectToIdp(reply.header("cache-control", "no-store"), start.url);
          return sendPage(
            reply,
            <AutoPostPage title="Continue to your identity provider" action={start.action} fields={start.fields} brand={clinic.name} />,
          );
        },
      },
      sendNotFound,
    ),
  );

  app.post(
    "/saml/acs",
    { bodyLimit: ACS_BODY_LIMIT_BYTES, onRequest: limitAcsPosts(app, ctx.config.acsRateLimit) },
    bySite(
      {
        clinic: async (request, reply) => {
          const clinic = request.clinic!;
          const body = (request.body ?? {}) as Record<string, unknown>;
          const samlResponse = typeof body.SAMLResponse === "string" ? body.SAMLResponse : "";
          const sp = serviceProviderUrls(ctx.config, clinic.subdomain);
          const events = { retentionDays: ctx.config.ssoEventRetentionDays };
          const previousSessionToken = readSessionToken(request, ctx.config);
          const result = await signInWithSaml(
            ctx.db,
            clinic,
            {
              samlResponse,
              sp,
              browserBinding: readSsoBinding(request, ctx.config),
              ip: clientIp(request),
              previousSessionToken,
            },
            { verifier: ctx.samlVerifier, session: ctx.sessionPolicy, events, notifier: ctx.notifier },
            ctx.clock(),
          );
          // The answer to a "Test sign-in" request is diagnosed and shown, never signed in (the request store holds the line).
          if ("answersTest" in result) {
            const posted = { samlResponse, sp, browserBinding: readSsoBinding(request, ctx.config), ip: clientIp(request) };
            const report = await finishTestSignIn(ctx.db, clinic, posted, result.answersTest, events, ctx.samlVerifier, ctx.clock());
            return sendPage(reply.header("cache-control", "no-store"), <TestResultPage clinicName={clinic.name} report={report} />);
          }
          ctx.metrics.countSignIn("saml", result.ok ? "success" : "failure", result.ok ? "none" : result.error.code);
          if (!result.ok) {
            const { code, reference, vouchedEmail } = result.error;
            request.log.warn({ clinic: clinic.subdomain, code, reference }, "saml sign-in refused");
            const explained = explainSsoFailure(code);
            // The clinic's own admins (signed in here, or vouched for by the IdP in this very response) go on to the diagnosis.
            const admin =
              (request.auth?.membership?.clinicId === clinic.id &&
                request.auth.membership.role === "admin" &&
                request.auth.membership.status === "active") ||
              (vouchedEmail !== null && (await isActiveClinicAdmin(ctx.db, clinic, vouchedEmail)));
            return sendProblem(
              request,
              reply,
              {
                code: "sso_sign_in_refused",
                title: explained.title,
                message: explained.message,
                next: admin
                  ? { href: `/settings/sso/events?reference=${encodeURIComponent(reference)}`, label: "See the diagnosis (clinic admins)" }
                  : { href: "/sign-in", label: "Back to sign-in" },
              },
              reference,
            );
          }
          setSessionCookie(reply, ctx.config, result.value.token);
          const target = result.value.returnTo ?? relayStateTarget(body.RelayState, clinicOrigin(ctx.config, clinic.subdomain));
          return seeOther(reply, target);
        },
      },
      sendNotFound,
    ),
  );
}
