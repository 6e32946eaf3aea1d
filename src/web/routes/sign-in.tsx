import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { getClinic } from "../../clinics/clinic.queries.js";
import { findClinicLockingDomain } from "../../clinics/email-domains.js";
import { domainOfEmail } from "../../users/identity-text.js";
import { clinicOrigin, mainOrigin } from "../../hosts.js";
import { deleteSession, findSessionEndReason } from "../../sessions/session.js";
import { signInWithPassword } from "../../sign-in/sign-in-with-password.js";
import type { SessionEndReason } from "../../users/user.queries.js";
import { ssoSignInOptions, type SsoSignInOptions } from "../../sso/saml/connection.queries.js";
import type { WebContext } from "../context.js";
import { bySite, clientIp, csrfToken, formFields } from "../forms.js";
import { AccountPage } from "../pages/account.js";
import { SignInPage } from "../pages/sign-in.js";
import { notFound, sendProblem } from "../problems.js";
import { sendPage } from "../render.js";
import { safeReturnPath } from "../return-to.js";
import { clearSessionCookie, readSessionToken, setSessionCookie } from "../session-cookie.js";
import { seeOther, statusOf } from "../statuses.js";

const WRONG_CREDENTIALS = "That email and password do not match an account that can sign in here.";

function tooManyAttempts(waitSeconds: number): string {
  const minutes = Math.ceil(waitSeconds / 60);
  return `Too many unsuccessful sign-in attempts from your network. Wait ${minutes === 1 ? "a minute" : `${minutes} minutes`} and try again.`;
}

// What the sign-in page says to someone whose session was ended for them.
const SESSION_ENDED: Record<SessionEndReason, string> = {
  removed: "You were signed out because your clinic's admin removed your access. If you think this is a mistake, ask them.",
};
const SIGNED_OUT = "You are signed out. See you next time.";

/** Password sign-in and sign-out, on the main site and on clinic hosts. */
export function registerSignInRoutes(app: FastifyInstance, ctx: WebContext, rateLimitPerMinute: number): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);

  async function renderSignIn(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { error?: string; notice?: string | undefined; email?: string; returnTo?: string | null; sso?: SsoSignInOptions | null },
    status?: number,
  ) {
    const clinic = request.clinic;
    const sso = extra.sso ?? (clinic ? await ssoSignInOptions(ctx.db, clinic.id) : null);
    const ssoStartUrl = sso?.enabled ? `/saml/login${extra.returnTo ? `?returnTo=${encodeURIComponent(extra.returnTo)}` : ""}` : null;
    return sendPage(
      reply,
      <SignInPage
        clinicName={clinic?.name}
        csrfToken={csrfToken(reply)}
        returnTo={extra.returnTo ?? undefined}
        email={extra.email}
        error={extra.error}
        notice={extra.notice}
        mainSignInUrl={clinic ? `${mainOrigin(ctx.config)}/sign-in` : undefined}
        ssoStartUrl={ssoStartUrl}
        passwordAllowed={!sso?.enforced}
        recoveryUrl={sso?.enforced ? "/sign-in/recovery" : undefined}
      />,
      status,
    );
  }

  app.get("/sign-in", async (request, reply) => {
    const returnTo = safeReturnPath((request.query as Record<string, unknown>).returnTo);
    // A settings-only session has nowhere else to go (see allowedBySessionScope).
    const home = request.clinic ? (request.auth?.session.scope === "settings" ? "/settings/sso" : "/dashboard") : "/account";
    if (request.auth) return seeOther(reply, returnTo ?? home);
    // A browser still holding a session that was ended for them: say why, once, then forget the cookie.
    const stale = readSessionToken(request, ctx.config);
    const ended = stale ? await findSessionEndReason(ctx.db, stale) : null;
    if (stale) clearSessionCookie(reply, ctx.config);
    const signedOut = (request.query as Record<string, unknown>).signedOut === "1";
    return renderSignIn(request, reply, { returnTo, notice: ended ? SESSION_ENDED[ended] : signedOut ? SIGNED_OUT : undefined });
  });

  app.post(
    "/sign-in",
    { preHandler: app.csrfProtection, config: { rateLimit: { max: rateLimitPerMinute, timeWindow: "1 minute" } } },
    async (request, reply) => {
      const fields = formFields(request);
      const returnTo = safeReturnPath(fields.returnTo);
      const email = (fields.email ?? "").slice(0, 320);
      const password = (fields.password ?? "").slice(0, 256);
      if (!email || !password) {
        ctx.metrics.countSignIn("password", "failure", "missing_credentials");
        return renderSignIn(
          request,
          reply,
          { error: "Enter your email and your password.", email, returnTo },
          statusOf("missing_credentials"),
        );
      }
      const clinicId = request.clinic?.id ?? null;
      // Once a clinic enforces SSO its own page takes no passwords; the main site still does (the fallback).
      const sso = clinicId ? await ssoSignInOptions(ctx.db, clinicId) : null;
      if (sso?.enforced) {
        ctx.metrics.countSignIn("password", "failure", "sso_enforced");
        return renderSignIn(
          request,
          reply,
          { error: "Your clinic signs you in with single sign-on. Use the button below.", returnTo, sso },
          statusOf("sso_enforced"),
        );
      }
      const now = ctx.clock();
      const previousSessionToken = readSessionToken(request, ctx.config);
      const result = await signInWithPassword(
        ctx.db,
        { email, password, clinicId, ip: clientIp(request), previousSessionToken },
        ctx.sessionPolicy,
        now,
      );
      ctx.metrics.countSignIn("password", result.ok ? "success" : "failure", result.ok ? "none" : result.error);
      if (!result.ok && result.error === "too_many_attempts") {
        const waitSeconds = Math.max(1, Math.ceil((result.retryAt.getTime() - now.getTime()) / 1000));
        reply.header("retry-after", String(waitSeconds));
        return renderSignIn(request, reply, { error: tooManyAttempts(waitSeconds), email, returnTo, sso }, statusOf(result.error));
      }
      if (!result.ok) return renderSignIn(request, reply, { error: WRONG_CREDENTIALS, email, returnTo, sso }, statusOf(result.error));
      setSessionCookie(reply, ctx.config, result.value.token);
      return seeOther(reply, returnTo ?? (clinicId ? "/dashboard" : "/account"));
    },
  );

  app.post("/sign-out", { preHandler: app.csrfProtection }, async (request, reply) => {
    const token = readSessionToken(request, ctx.config);
    if (token) await deleteSession(ctx.db, token);
    clearSessionCookie(reply, ctx.config);
    return seeOther(reply, "/sign-in?signedOut=1");
  });

  app.get(
    "/account",
    bySite(
      {
        main: async (request, reply) => {
          if (!request.auth) return seeOther(reply, "/sign-in?returnTo=%2Faccount");
          const { user, membership } = request.auth;
          const clinic = membership ? await getClinic(ctx.db, membership.clinicId) : null;
          const sso = clinic ? await ssoSignInOptions(ctx.db, clinic.id) : null;
          // A main-site password user whose address is in a locked domain is pointed to that clinic's single sign-on.
          const lockedBy = await findClinicLockingDomain(ctx.db, domainOfEmail(user.email));
          return sendPage(
            reply,
            <AccountPage
              userName={user.name}
              email={user.email}
              csrfToken={csrfToken(reply)}
              clinic={
                clinic && {
                  name: clinic.name,
                  dashboardUrl: `${clinicOrigin(ctx.config, clinic.subdomain)}/sign-in?returnTo=%2Fdashboard`,
                  // Enforced SSO and a broken IdP: the admin still reaches the settings from here (a one-time hand-off).
                  settingsHandoff: Boolean(sso?.enforced) && membership?.role === "admin" && membership.status === "active",
                }
              }
              ssoDomain={
                lockedBy && {
                  clinicName: lockedBy.name,
                  domain: domainOfEmail(user.email),
                  signInUrl: `${clinicOrigin(ctx.config, lockedBy.subdomain)}/sign-in`,
                }
              }
            />,
          );
        },
      },
      sendNotFound,
    ),
  );
}
