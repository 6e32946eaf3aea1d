import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ssoSignInOptions } from "../../sso/saml/connection.queries.js";
import { joinWithInvitation } from "../../sign-in/join-with-invitation.js";
import { checkInvitation, type InvitationError } from "../../users/invitations.js";
import { passwordSchema } from "../../users/user.js";
import type { WebContext } from "../context.js";
import { bySite, clientIp, csrfToken, formFields } from "../forms.js";
import { InvitationPage } from "../pages/invitation.js";
import { problem, notFound, sendProblem, type Problem } from "../problems.js";
import { sendPage } from "../render.js";
import { readSessionToken, setSessionCookie } from "../session-cookie.js";
import { seeOther, statusOf } from "../statuses.js";

const INVITATION_PROBLEMS: Record<InvitationError, Problem> = {
  invitation_not_found: problem("invitation_not_found", {
    title: "This invitation link is not valid",
    message: "Check that you opened the whole link from your invitation, or ask your clinic's admin to send a new one.",
  }),
  invitation_used: problem("invitation_used", {
    title: "This invitation was already used",
    message: "You have already joined with this link. Sign in instead.",
    next: { href: "/sign-in", label: "Go to sign-in" },
  }),
  invitation_expired: problem("invitation_expired", {
    title: "This invitation has expired",
    message: "Invitation links work for 7 days. Ask your clinic's admin to resend your invitation.",
  }),
  invitation_revoked: problem("invitation_revoked", {
    title: "This invitation was withdrawn",
    message: "Your clinic's admin withdrew this invitation. Ask them if you think this is a mistake.",
  }),
};

/** The public side of invitations: the link a person opens, and accepting it with a password or with SSO. */
export function registerInvitationRoutes(app: FastifyInstance, ctx: WebContext): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);

  async function renderInvitation(
    request: FastifyRequest,
    reply: FastifyReply,
    invitee: { name: string; email: string },
    token: string,
    error?: string,
    status?: number,
  ) {
    const clinic = request.clinic!;
    const sso = await ssoSignInOptions(ctx.db, clinic.id);
    return sendPage(
      reply,
      <InvitationPage
        clinicName={clinic.name}
        name={invitee.name}
        email={invitee.email}
        csrfToken={csrfToken(reply)}
        action={`/invitations/${token}`}
        ssoEnabled={sso.enabled}
        ssoEnforced={sso.enforced}
        error={error}
      />,
      status,
    );
  }

  // The path carries the invitation token: these two routes log only warnings, so it never reaches an access log.
  const quiet = { logLevel: "warn" } as const;

  app.get<{ Params: { token: string } }>(
    "/invitations/:token",
    quiet,
    bySite(
      {
        clinic: async (request, reply) => {
          const { token } = request.params as { token: string };
          const checked = await checkInvitation(ctx.db, request.clinic!, token, ctx.clock());
          if (!checked.ok) return sendProblem(request, reply, INVITATION_PROBLEMS[checked.error]);
          return renderInvitation(request, reply, checked.value, token);
        },
      },
      sendNotFound,
    ),
  );

  app.post<{ Params: { token: string } }>(
    "/invitations/:token",
    { ...quiet, preHandler: app.csrfProtection },
    bySite(
      {
        clinic: async (request, reply) => {
          const clinic = request.clinic!;
          const { token } = request.params as { token: string };
          const checked = await checkInvitation(ctx.db, clinic, token, ctx.clock());
          if (!checked.ok) return sendProblem(request, reply, INVITATION_PROBLEMS[checked.error]);
          const fields = formFields(request);
          const withSso = fields.method === "sso";
          if (withSso && !(await ssoSignInOptions(ctx.db, clinic.id)).enabled) {
            return renderInvitation(
              request,
              reply,
              checked.value,
              token,
              "Your clinic has no single sign-on: choose a password instead.",
              statusOf("sso_not_available"),
            );
          }
          const password = withSso ? null : passwordSchema.safeParse(fields.password ?? "");
          if (password && !password.success) {
            return renderInvitation(
              request,
              reply,
              checked.value,
              token,
              `Your password ${password.error.issues[0]!.message}.`,
              statusOf("invalid_password"),
            );
          }
          const joined = await joinWithInvitation(
            ctx.db,
            clinic,
            token,
            { password: password?.data, ip: clientIp(request), previousSessionToken: readSessionToken(request, ctx.config) },
            ctx.sessionPolicy,
            ctx.clock(),
          );
          if (!joined.ok) return sendProblem(request, reply, INVITATION_PROBLEMS[joined.error]);
          if (!joined.value.sessionToken) return seeOther(reply, "/saml/login?returnTo=%2Fdashboard");
          setSessionCookie(reply, ctx.config, joined.value.sessionToken);
          // Straight on: the dashboard sends anyone without a room to /welcome first.
          return seeOther(reply, "/dashboard");
        },
      },
      sendNotFound,
    ),
  );
}
