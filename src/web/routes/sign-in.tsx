import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { clinicOrigin, mainOrigin } from "../../hosts.js";
import { deleteSession, findSessionEndReason, type ValidSession } from "../../sessions/session.js";
import { getAccountOverview } from "../../sign-in/account-overview.js";
import { signInWithPassword, type PasswordSignInRefusal } from "../../sign-in/sign-in-with-password.js";
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

/** A form field as typed, cut to its longest sensible length; a missing field is "". */
const typed = (max: number) =>
  z
    .string()
    .catch("")
    .transform((value) => value.slice(0, max));
const returnPath = z.unknown().optional().transform(safeReturnPath);

const SignInQuery = z.object({
  returnTo: returnPath,
  signedOut: z
    .unknown()
    .optional()
    .transform((value) => value === "1"),
});
const SignInForm = z.object({ email: typed(320), password: typed(256), returnTo: returnPath });

/** Refused before any use case runs: the form lacks the email or the password. */
type SignInRefusal = PasswordSignInRefusal | { ok: false; error: "missing_credentials"; sso: null };
const MISSING_CREDENTIALS = { ok: false, error: "missing_credentials", sso: null } as const;

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

/** Whole seconds until a throttled sign-in may try again, at least one. */
function secondsUntil(retryAt: Date, now: Date): number {
  return Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000));
}

/** What the sign-in page says to a refused attempt. */
function refusalSentence(refusal: SignInRefusal, now: Date): string {
  switch (refusal.error) {
    case "missing_credentials":
      return "Enter your email and your password.";
    case "sso_enforced":
      return "Your clinic signs you in with single sign-on. Use the button below.";
    case "too_many_attempts":
      return tooManyAttempts(secondsUntil(refusal.retryAt, now));
    case "invalid_credentials":
      return WRONG_CREDENTIALS;
  }
}

/** Where a signed-in person who opens the sign-in page goes; a settings-only session has nowhere else (see allowedBySessionScope). */
function homeOf(auth: ValidSession, onClinicHost: boolean): string {
  if (!onClinicHost) return "/account";
  return auth.session.scope === "settings" ? "/settings/sso" : "/dashboard";
}

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

  /** The page again with a refusal's sentence, the status statuses.ts gives its code and, when throttled, Retry-After. */
  function refuseSignIn(request: FastifyRequest, reply: FastifyReply, form: z.infer<typeof SignInForm>, refusal: SignInRefusal, now: Date) {
    if (refusal.error === "too_many_attempts") reply.header("retry-after", String(secondsUntil(refusal.retryAt, now)));
    const shown = { error: refusalSentence(refusal, now), email: form.email, returnTo: form.returnTo, sso: refusal.sso };
    return renderSignIn(request, reply, shown, statusOf(refusal.error));
  }

  app.get("/sign-in", async (request, reply) => {
    const query = SignInQuery.parse(request.query ?? {});
    if (request.auth) return seeOther(reply, query.returnTo ?? homeOf(request.auth, request.clinic !== null));
    // A browser still holding a session that was ended for them: say why, once, then forget the cookie.
    const stale = readSessionToken(request, ctx.config);
    const ended = stale ? await findSessionEndReason(ctx.db, stale) : null;
    if (stale) clearSessionCookie(reply, ctx.config);
    const notice = ended ? SESSION_ENDED[ended] : query.signedOut ? SIGNED_OUT : undefined;
    return renderSignIn(request, reply, { returnTo: query.returnTo, notice });
  });

  app.post(
    "/sign-in",
    { preHandler: app.csrfProtection, config: { rateLimit: { max: rateLimitPerMinute, timeWindow: "1 minute" } } },
    async (request, reply) => {
      const form = SignInForm.parse(formFields(request));
      const clinicId = request.clinic?.id ?? null;
      const now = ctx.clock();
      const previousSessionToken = readSessionToken(request, ctx.config);
      const result =
        form.email && form.password
          ? await signInWithPassword(
              ctx.db,
              { email: form.email, password: form.password, clinicId, ip: clientIp(request), previousSessionToken },
              ctx.sessionPolicy,
              now,
            )
          : MISSING_CREDENTIALS;
      ctx.metrics.countSignIn("password", result.ok ? "success" : "failure", result.ok ? "none" : result.error);
      if (!result.ok) return refuseSignIn(request, reply, form, result, now);
      setSessionCookie(reply, ctx.config, result.value.token);
      return seeOther(reply, form.returnTo ?? (clinicId ? "/dashboard" : "/account"));
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
          const { clinic, lockedBy } = await getAccountOverview(ctx.db, user, membership);
          return sendPage(
            reply,
            <AccountPage
              userName={user.name}
              email={user.email}
              csrfToken={csrfToken(reply)}
              clinic={
                clinic && {
                  name: clinic.clinic.name,
                  dashboardUrl: `${clinicOrigin(ctx.config, clinic.clinic.subdomain)}/sign-in?returnTo=%2Fdashboard`,
                  // Enforced SSO and a broken IdP: the admin still reaches the settings from here (a one-time hand-off).
                  settingsHandoff: clinic.settingsHandoff,
                }
              }
              ssoDomain={
                lockedBy && {
                  clinicName: lockedBy.clinic.name,
                  domain: lockedBy.domain,
                  signInUrl: `${clinicOrigin(ctx.config, lockedBy.clinic.subdomain)}/sign-in`,
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
