import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Clinic } from "../../clinics/clinic.js";
import { clinicOrigin } from "../../hosts.js";
import { consumeSamlResponse, type AcsOutcome } from "../../sign-in/consume-saml-response.js";
import { explainSsoFailure } from "../../sign-in/failure-messages.js";
import { newBrowserBinding } from "../../sso/saml/browser-binding.js";
import { serviceProviderMetadata, serviceProviderUrls } from "../../sso/saml/service-provider.js";
import { startClinicSamlLogin } from "../../sso/saml/start-login.js";
import { limitAcsPosts } from "../acs-rate-limits.js";
import type { WebContext } from "../context.js";
import { bySite, clientIp } from "../forms.js";
import { AutoPostPage } from "../pages/auto-post.js";
import { TestResultPage } from "../pages/sso-connect.js";
import { problem, notFound, sendProblem, type Problem } from "../problems.js";
import { sendPage } from "../render.js";
import { safeReturnPath } from "../return-to.js";
import { readSessionToken, setSessionCookie } from "../session-cookie.js";
import { readSsoBinding, setSsoBinding } from "../sso-binding-cookie.js";
import { redirectToIdp, seeOther } from "../statuses.js";

const LoginQuery = z.object({
  returnTo: z
    .unknown()
    .optional()
    .transform((value) => safeReturnPath(value) ?? "/dashboard"),
});
// Never refused here: a missing SAMLResponse (or a body that is no form at all) reads as "", and the sign-in refuses it.
const AcsForm = z
  .object({ SAMLResponse: z.string().catch(""), RelayState: z.unknown().optional() })
  .catch({ SAMLResponse: "", RelayState: undefined });

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
  const policy = {
    verifier: ctx.samlVerifier,
    session: ctx.sessionPolicy,
    notifier: ctx.notifier,
  };

  app.get(
    "/saml/metadata",
    bySite(
      {
        clinic: async (_request, reply, clinic) =>
          reply
            .header("content-type", "application/samlmetadata+xml; charset=utf-8")
            .header("content-disposition", `inline; filename="${clinic.subdomain}-sp-metadata.xml"`)
            .send(serviceProviderMetadata(serviceProviderUrls(ctx.config, clinic.subdomain))),
      },
      sendNotFound,
    ),
  );

  app.get(
    "/saml/login",
    bySite(
      {
        clinic: async (request, reply, clinic) => {
          const { returnTo } = LoginQuery.parse(request.query ?? {});
          // One value per browser, kept across sign-ins started in several tabs; the request stores only its hash.
          const binding = readSsoBinding(request, ctx.config) ?? newBrowserBinding();
          const sp = serviceProviderUrls(ctx.config, clinic.subdomain);
          const start = await startClinicSamlLogin(ctx.db, request.samlConnection, { sp, returnTo, browserBinding: binding }, ctx.clock());
          if (!start.ok) return sendProblem(request, reply, ssoUnavailable);
          setSsoBinding(reply, ctx.config, binding);
          if (start.value.binding === "redirect") return redirectToIdp(reply.header("cache-control", "no-store"), start.value.url);
          const { action, fields } = start.value;
          return sendPage(
            reply,
            <AutoPostPage title="Continue to your identity provider" action={action} fields={fields} brand={clinic.name} />,
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
        clinic: async (request, reply, clinic) => {
          const body = AcsForm.parse(request.body ?? {});
          const posted = {
            samlResponse: body.SAMLResponse,
            sp: serviceProviderUrls(ctx.config, clinic.subdomain),
            browserBinding: readSsoBinding(request, ctx.config),
            ip: clientIp(request),
            previousSessionToken: readSessionToken(request, ctx.config),
            signedInAs: request.auth?.membership ?? null,
          };
          const outcome = await consumeSamlResponse(ctx.db, clinic, request.samlConnection, posted, policy, ctx.clock());
          if (outcome.kind === "tested")
            return sendPage(reply.header("cache-control", "no-store"), <TestResultPage clinicName={clinic.name} report={outcome.report} />);
          const signedIn = outcome.kind === "signed_in";
          ctx.metrics.countSignIn("saml", signedIn ? "success" : "failure", signedIn ? "none" : outcome.error.code);
          if (!signedIn) return refuseSignIn(request, reply, clinic, outcome);
          setSessionCookie(reply, ctx.config, outcome.value.token);
          return seeOther(reply, outcome.value.returnTo ?? relayStateTarget(body.RelayState, clinicOrigin(ctx.config, clinic.subdomain)));
        },
      },
      sendNotFound,
    ),
  );
}

/** The refusal page: the same words for everyone, and for the clinic's own admins a link to the diagnosis. */
function refuseSignIn(request: FastifyRequest, reply: FastifyReply, clinic: Clinic, refused: Extract<AcsOutcome, { kind: "refused" }>) {
  const { code, reference } = refused.error;
  request.log.warn({ clinic: clinic.subdomain, code, reference }, "saml sign-in refused");
  const { title, message } = explainSsoFailure(code);
  const next = refused.diagnosisForAdmin
    ? { href: `/settings/sso/events?reference=${encodeURIComponent(reference)}`, label: "See the diagnosis (clinic admins)" }
    : { href: "/sign-in", label: "Back to sign-in" };
  return sendProblem(request, reply, { code: "sso_sign_in_refused", title, message, next }, reference);
}
