import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Clinic } from "../../clinics/clinic.js";
import { clinicOrigin } from "../../hosts.js";
import type { ValidSession } from "../../sessions/session.js";
import { issueSettingsHandoff, signInWithSettingsHandoff } from "../../sign-in/settings-handoff.js";
import { signInWithRecoveryCode } from "../../sign-in/sign-in-with-recovery-code.js";
import { countUnusedRecoveryCodes, generateRecoveryCodes } from "../../users/recovery-codes.js";
import type { WebContext } from "../context.js";
import { bySite, clientIp, csrfToken, formFields } from "../forms.js";
import { forClinicAdmin } from "../guards.js";
import { RecoveryCodesSection, RecoveryCodesShownPage, RecoverySignInPage } from "../pages/break-glass.js";
import { notFound, sendProblem } from "../problems.js";
import { sendPage } from "../render.js";
import { seeOther, statusOf } from "../statuses.js";
import { readSessionToken, setSessionCookie } from "../session-cookie.js";

const WRONG_RECOVERY = "That email and recovery code do not match an admin of this clinic with an unused code.";

/** The Recovery codes section of /settings/sso, for the admin looking at it. */
export async function recoveryCodesSection(ctx: WebContext, auth: ValidSession, csrf: string) {
  return <RecoveryCodesSection unused={await countUnusedRecoveryCodes(ctx.db, auth.user.id)} csrfToken={csrf} />;
}

/**
 * Never locked out: the main site's hand-off to the clinic settings for a signed-in admin, and the clinic host's
 * recovery-code sign-in; both open settings-only sessions (see allowedBySessionScope). Admins' recovery codes.
 */
export function registerBreakGlassRoutes(app: FastifyInstance, ctx: WebContext, rateLimitPerMinute: number): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);
  const policy = () => ({
    session: ctx.sessionPolicy,
    notifier: ctx.notifier,
  });

  app.post(
    "/account/clinic-settings",
    { preHandler: app.csrfProtection },
    bySite(
      {
        main: async (request, reply) => {
          if (!request.auth) return seeOther(reply, "/sign-in?returnTo=%2Faccount");
          const issued = await issueSettingsHandoff(ctx.db, { userId: request.auth.user.id, ip: clientIp(request) }, ctx.clock());
          if (!issued.ok) {
            return sendProblem(request, reply, {
              code: "admins_only",
              title: "Only clinic admins can open the clinic settings",
              message: "Your clinic's settings are for its admins. Ask one of them if you need something changed.",
              next: { href: "/account", label: "Back to your account" },
            });
          }
          const { token, clinic } = issued.value;
          return seeOther(reply, `${clinicOrigin(ctx.config, clinic.subdomain)}/sign-in/handoff?token=${token}`);
        },
      },
      sendNotFound,
    ),
  );

  app.get(
    "/sign-in/handoff",
    bySite(
      {
        clinic: async (request, reply) => {
          const clinic = request.clinic as Clinic;
          const token = String((request.query as Record<string, unknown>).token ?? "");
          const previousSessionToken = readSessionToken(request, ctx.config);
          const result = await signInWithSettingsHandoff(
            ctx.db,
            clinic,
            { token, ip: clientIp(request), previousSessionToken },
            policy(),
            ctx.clock(),
          );
          if (!result.ok) {
            return sendProblem(request, reply, {
              code: "handoff_not_valid",
              title: "This link has expired",
              message:
                "The link from the main site works once, within a minute. Go back to your account on the main site and press Open clinic settings again.",
              next: { href: "/sign-in", label: "Go to the sign-in page" },
            });
          }
          setSessionCookie(reply, ctx.config, result.value.token);
          return seeOther(reply, "/settings/sso");
        },
      },
      sendNotFound,
    ),
  );

  async function renderRecovery(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { email?: string; reason?: string; error?: string },
    status = 200,
  ) {
    return sendPage(
      reply,
      <RecoverySignInPage clinicName={(request.clinic as Clinic).name} csrfToken={csrfToken(reply)} {...extra} />,
      status,
    );
  }

  app.get("/sign-in/recovery", bySite({ clinic: async (request, reply) => renderRecovery(request, reply, {}) }, sendNotFound));

  app.post(
    "/sign-in/recovery",
    { preHandler: app.csrfProtection, config: { rateLimit: { max: rateLimitPerMinute, timeWindow: "1 minute" } } },
    bySite(
      {
        clinic: async (request, reply) => {
          const fields = formFields(request);
          const email = (fields.email ?? "").slice(0, 320);
          const code = (fields.code ?? "").slice(0, 100);
          const reason = (fields.reason ?? "").slice(0, 2000);
          if (!email || !code)
            return renderRecovery(
              request,
              reply,
              { error: "Enter your email and a recovery code.", email, reason },
              statusOf("missing_credentials"),
            );
          const now = ctx.clock();
          const result = await signInWithRecoveryCode(
            ctx.db,
            request.clinic as Clinic,
            { email, code, reason, ip: clientIp(request), previousSessionToken: readSessionToken(request, ctx.config) },
            policy(),
            now,
          );
          if (!result.ok && result.error === "reason_required") {
            return renderRecovery(
              request,
              reply,
              { error: `Say why you need emergency access: the reason ${result.message}.`, email, reason },
              statusOf(result.error),
            );
          }
          if (!result.ok && result.error === "too_many_attempts") {
            const waitSeconds = Math.max(1, Math.ceil((result.retryAt.getTime() - now.getTime()) / 1000));
            const minutes = Math.ceil(waitSeconds / 60);
            reply.header("retry-after", String(waitSeconds));
            const wait = minutes === 1 ? "a minute" : `${minutes} minutes`;
            return renderRecovery(
              request,
              reply,
              { error: `Too many wrong recovery codes from your network. Wait ${wait} and try again.`, email, reason },
              statusOf(result.error),
            );
          }
          if (!result.ok) return renderRecovery(request, reply, { error: WRONG_RECOVERY, email, reason }, statusOf(result.error));
          setSessionCookie(reply, ctx.config, result.value.token);
          return seeOther(reply, "/settings/sso");
        },
      },
      sendNotFound,
    ),
  );

  app.post(
    "/settings/sso/recovery-codes",
    { preHandler: app.csrfProtection },
    forClinicAdmin(async (request, reply, admin) => {
      const codes = await generateRecoveryCodes(
        ctx.db,
        admin.clinic.id,
        admin.auth.user.id,
        { actor: admin.auth.user.id, ip: clientIp(request) },
        ctx.clock(),
      );
      // Shown in this answer only (sendPage answers no-store): nothing keeps them to show again.
      return sendPage(
        reply,
        <RecoveryCodesShownPage
          clinicName={admin.clinic.name}
          userName={admin.auth.user.name}
          csrfToken={csrfToken(reply)}
          codes={codes}
        />,
      );
    }),
  );
}
