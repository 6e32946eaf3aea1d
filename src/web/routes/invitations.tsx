import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { Clinic } from "../../clinics/clinic.js";
import { joinWithInvitation, openInvitation, type InvitationOffer, type InvitationRefusal } from "../../sign-in/join-with-invitation.js";
import type { InvitationError } from "../../users/invitations.js";
import type { WebContext } from "../context.js";
import { bySite, clientIp, csrfToken, formFields } from "../forms.js";
import { InvitationPage } from "../pages/invitation.js";
import { problem, notFound, sendProblem, type Problem } from "../problems.js";
import { sendPage } from "../render.js";
import { readSessionToken, setSessionCookie } from "../session-cookie.js";
import { seeOther, statusOf } from "../statuses.js";

const TokenParams = z.object({ token: z.string() });
// The person chose single sign-on, or typed a password (checked by the use case, which answers with its rule).
const JoinForm = z
  .object({ method: z.string().optional(), password: z.string().catch("") })
  .transform((form) => (form.method === "sso" ? { sso: true as const } : { password: form.password }));

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

/** The invitation page's sentence for a choice it refuses. */
function refusalSentence(refusal: Extract<InvitationRefusal, { offer: InvitationOffer }>): string {
  switch (refusal.error) {
    case "sso_not_available":
      return "Your clinic has no single sign-on: choose a password instead.";
    case "invalid_password":
      return `Your password ${refusal.message}.`;
  }
}

/** The public side of invitations: the link a person opens, and accepting it with a password or with SSO. */
export function registerInvitationRoutes(app: FastifyInstance, ctx: WebContext): void {
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);

  function renderInvitation(reply: FastifyReply, clinic: Clinic, token: string, offer: InvitationOffer, error?: string, status?: number) {
    return sendPage(
      reply,
      <InvitationPage
        clinicName={clinic.name}
        name={offer.invitee.name}
        email={offer.invitee.email}
        csrfToken={csrfToken(reply)}
        action={`/invitations/${token}`}
        ssoEnabled={offer.sso.enabled}
        ssoEnforced={offer.sso.enforced}
        error={error}
      />,
      status,
    );
  }

  /** A link that no longer works gets its problem page; a refused choice, the invitation page again with its sentence. */
  function refuseJoin(request: FastifyRequest, reply: FastifyReply, clinic: Clinic, token: string, refusal: InvitationRefusal) {
    if (!("offer" in refusal)) return sendProblem(request, reply, INVITATION_PROBLEMS[refusal.error]);
    return renderInvitation(reply, clinic, token, refusal.offer, refusalSentence(refusal), statusOf(refusal.error));
  }

  // The path carries the invitation token: these two routes log only warnings, so it never reaches an access log.
  const quiet = { logLevel: "warn" } as const;

  app.get(
    "/invitations/:token",
    quiet,
    bySite(
      {
        clinic: async (request, reply, clinic) => {
          const { token } = TokenParams.parse(request.params);
          const opened = await openInvitation(ctx.db, clinic, token, ctx.clock());
          if (!opened.ok) return sendProblem(request, reply, INVITATION_PROBLEMS[opened.error]);
          return renderInvitation(reply, clinic, token, opened.value);
        },
      },
      sendNotFound,
    ),
  );

  app.post(
    "/invitations/:token",
    { ...quiet, preHandler: app.csrfProtection },
    bySite(
      {
        clinic: async (request, reply, clinic) => {
          const { token } = TokenParams.parse(request.params);
          const method = JoinForm.parse(formFields(request));
          const input = { method, ip: clientIp(request), previousSessionToken: readSessionToken(request, ctx.config) };
          const joined = await joinWithInvitation(ctx.db, clinic, token, input, ctx.sessionPolicy, ctx.clock());
          if (!joined.ok) return refuseJoin(request, reply, clinic, token, joined);
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
