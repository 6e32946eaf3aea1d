import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { countSeatsUsed } from "../../clinics/clinic.queries.js";
import { deleteSession } from "../../sessions/session.js";
import { joinWithInvitation } from "../../sessions/join-with-invitation.js";
import { clinicOrigin } from "../../hosts.js";
import type { Result } from "../../result.js";
import { ssoSignInOptions } from "../../sso/saml/connection.queries.js";
import type { Actor } from "../../users/add-member.js";
import { checkInvitation, inviteMember, resendInvitation, type InvitationError } from "../../users/invitations.js";
import { changeMemberRole, removeMember, restoreMember, type ChangedMember } from "../../users/manage-members.js";
import { listMembersWithRooms } from "../../users/member-list.queries.js";
import { emailSchema, normalizeEmail, passwordSchema, personNameSchema, roleSchema } from "../../users/user.js";
import type { WebContext } from "../context.js";
import { bySite, clientIp, csrfToken, formFields } from "../forms.js";
import { requireClinicAdmin } from "../guards.js";
import { InvitationPage } from "../pages/invitation.js";
import { ManageUsersPage, type InviteForm } from "../pages/manage-users.js";
import { fieldMessages, notFound, sendProblem, type Problem } from "../problems.js";
import { sendPage } from "../render.js";
import { readSessionToken, setSessionCookie } from "../session-cookie.js";

type Admin = NonNullable<Awaited<ReturnType<typeof requireClinicAdmin>>>;

const InviteBody = z.object({ email: emailSchema, name: personNameSchema, role: roleSchema });

// Every refusal in words the admin can act on. On this page the actor is always an active admin, so the
// last admin being changed is always the actor.
const REFUSALS: Record<string, { status: number; say: (email: string) => string }> = {
  member_not_found: { status: 404, say: () => "That person is not a member of this clinic." },
  last_admin: { status: 409, say: () => "You are the last admin: make someone else admin first." },
  seat_limit_reached: { status: 422, say: () => "No free seat: remove someone or add seats." },
  invitation_pending: { status: 409, say: (e) => `${e} has not accepted their invitation yet: resend it instead.` },
  not_invited: { status: 409, say: (e) => `${e} has already joined or was removed, so there is no invitation to resend.` },
  email_taken: {
    status: 409,
    say: () => "That email already has an account, here or at another clinic. If they were removed, restore them from the list.",
  },
};

// The flash message after a redirect: the query carries a code and the email, never free text.
const DONE: Record<string, (email: string) => string> = {
  removed: (e) => `${e} was removed: their seat is free and they were signed out everywhere.`,
  restored: (e) => `${e} was restored and can sign in again.`,
  admin: (e) => `${e} is now an admin.`,
  provider: (e) => `${e} is now a provider.`,
  unchanged: (e) => `Nothing changed: ${e} already was as asked.`,
};

const INVITATION_PROBLEMS: Record<InvitationError, Problem> = {
  invitation_not_found: {
    status: 404,
    code: "invitation_not_found",
    title: "This invitation link is not valid",
    message: "Check that you opened the whole link from your invitation, or ask your clinic's admin to send a new one.",
  },
  invitation_used: {
    status: 410,
    code: "invitation_used",
    title: "This invitation was already used",
    message: "You have already joined with this link. Sign in instead.",
    next: { href: "/sign-in", label: "Go to sign-in" },
  },
  invitation_expired: {
    status: 410,
    code: "invitation_expired",
    title: "This invitation has expired",
    message: "Invitation links work for 7 days. Ask your clinic's admin to resend your invitation.",
  },
  invitation_revoked: {
    status: 410,
    code: "invitation_revoked",
    title: "This invitation was withdrawn",
    message: "Your clinic's admin withdrew this invitation. Ask them if you think this is a mistake.",
  },
};

// Post/redirect/get for a new invitation link: the link holds the token, which must not travel in a URL (history,
// logs), so it waits for the next page load in a cookie only this page receives, for a few minutes, read once.
const NEW_LINK_COOKIE = "new_invitation";
const NEW_LINK_PATH = "/settings/users";
const NEW_LINK_SECONDS = 300;

/** Manage Users (/settings/users) for a clinic's active admins, and the invitation links it hands out. */
export function registerManageUsersRoutes(app: FastifyInstance, ctx: WebContext): void {
  const mailer = ctx.invitationMailer;
  const sendNotFound = async (request: FastifyRequest, reply: FastifyReply) => sendProblem(request, reply, notFound);
  const actorOf = (request: FastifyRequest, admin: Admin): Actor => ({ actor: admin.auth.user.id, ip: clientIp(request) });
  const delivery = (admin: Admin) => ({ origin: clinicOrigin(ctx.config, admin.clinic.subdomain), mailer, now: ctx.clock() });

  async function renderUsers(
    reply: FastifyReply,
    admin: Admin,
    extra: {
      notice?: string | undefined;
      error?: string | undefined;
      invitation?: { email: string; link: string };
      invite?: InviteForm;
    } = {},
    status = 200,
  ) {
    const [members, seatsUsed] = await Promise.all([
      listMembersWithRooms(ctx.db, admin.clinic.id),
      countSeatsUsed(ctx.db, admin.clinic.id),
    ]);
    return sendPage(
      reply,
      <ManageUsersPage
        clinicName={admin.clinic.name}
        userName={admin.auth.user.name}
        userEmail={admin.auth.user.email}
        csrfToken={csrfToken(reply)}
        seats={admin.clinic.seats}
        seatsUsed={seatsUsed}
        members={members.map(({ user, membership: m, roomName }) => ({
          email: user.email,
          name: user.name,
          role: m.role,
          status: m.status,
          roomName,
          lastSignInAt: m.lastSignInAt,
          lastSignInMethod: m.lastSignInMethod,
        }))}
        {...extra}
      />,
      status,
    );
  }

  /** PRG on success; a refusal re-renders the page with its sentence and status. */
  async function afterChange(reply: FastifyReply, admin: Admin, email: string, result: Result<ChangedMember>, done: string) {
    if (result.ok) {
      const code = result.value.changed ? done : "unchanged";
      return reply.redirect(`/settings/users?done=${code}&email=${encodeURIComponent(result.value.member.user.email)}`, 303);
    }
    const refusal = REFUSALS[result.error]!;
    return renderUsers(reply, admin, { error: refusal.say(email) }, refusal.status);
  }

  const newLinkCookie = { path: NEW_LINK_PATH, httpOnly: true, sameSite: "strict" as const, secure: ctx.config.scheme === "https" };

  /** Shows the new link on the next GET (see NEW_LINK_COOKIE), so a refresh never re-posts the invitation. */
  function redirectWithNewLink(reply: FastifyReply, link: string) {
    const token = link.slice(link.lastIndexOf("/") + 1);
    reply.setCookie(NEW_LINK_COOKIE, token, { ...newLinkCookie, maxAge: NEW_LINK_SECONDS });
    return reply.redirect(NEW_LINK_PATH, 303);
  }

  /** The invitation link waiting in the cookie, if it still names a pending invitation of this clinic; read once. */
  async function takeNewLink(request: FastifyRequest, reply: FastifyReply, admin: Admin) {
    const token = request.cookies[NEW_LINK_COOKIE];
    if (!token) return undefined;
    reply.clearCookie(NEW_LINK_COOKIE, newLinkCookie);
    const checked = await checkInvitation(ctx.db, admin.clinic, token, ctx.clock());
    return checked.ok ? { email: checked.value.email, link: `${delivery(admin).origin}/invitations/${token}` } : undefined;
  }

  app.get("/settings/users", async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const query = request.query as Record<string, unknown>;
    const done = typeof query.done === "string" ? DONE[query.done] : undefined;
    const email = typeof query.email === "string" ? query.email.slice(0, 320) : "";
    const invitation = await takeNewLink(request, reply, admin);
    return renderUsers(reply, admin, { notice: done && email ? done(email) : undefined, ...(invitation ? { invitation } : {}) });
  });

  app.post("/settings/users/remove", { preHandler: app.csrfProtection }, async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const email = normalizeEmail(formFields(request).email ?? "");
    return afterChange(reply, admin, email, await removeMember(ctx.db, admin.clinic, email, actorOf(request, admin)), "removed");
  });

  app.post("/settings/users/restore", { preHandler: app.csrfProtection }, async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const email = normalizeEmail(formFields(request).email ?? "");
    return afterChange(reply, admin, email, await restoreMember(ctx.db, admin.clinic, email, actorOf(request, admin)), "restored");
  });

  app.post("/settings/users/role", { preHandler: app.csrfProtection }, async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const fields = formFields(request);
    const email = normalizeEmail(fields.email ?? "");
    const role = roleSchema.safeParse(fields.role);
    if (!role.success) return renderUsers(reply, admin, { error: "Choose admin or provider." }, 400);
    return afterChange(
      reply,
      admin,
      email,
      await changeMemberRole(ctx.db, admin.clinic, email, role.data, actorOf(request, admin)),
      role.data,
    );
  });

  app.post("/settings/users/invite", { preHandler: app.csrfProtection }, async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const fields = formFields(request);
    const form = { email: fields.email ?? "", name: fields.name ?? "", role: fields.role ?? "provider", errors: {} };
    const input = InviteBody.safeParse(form);
    if (!input.success) return renderUsers(reply, admin, { invite: { ...form, errors: fieldMessages(input.error) } }, 400);
    const invited = await inviteMember(ctx.db, admin.clinic, input.data, actorOf(request, admin), delivery(admin));
    if (!invited.ok) {
      const refusal = REFUSALS[invited.error]!;
      return renderUsers(reply, admin, { error: refusal.say(input.data.email), invite: form }, refusal.status);
    }
    return redirectWithNewLink(reply, invited.value.link);
  });

  app.post("/settings/users/resend", { preHandler: app.csrfProtection }, async (request, reply) => {
    const admin = await requireClinicAdmin(request, reply);
    if (!admin) return reply;
    const email = normalizeEmail(formFields(request).email ?? "");
    const resent = await resendInvitation(ctx.db, admin.clinic, email, actorOf(request, admin), delivery(admin));
    if (!resent.ok) {
      const refusal = REFUSALS[resent.error]!;
      return renderUsers(reply, admin, { error: refusal.say(email) }, refusal.status);
    }
    return redirectWithNewLink(reply, resent.value.link);
  });

  async function renderInvitation(
    request: FastifyRequest,
    reply: FastifyReply,
    invitee: { name: string; email: string },
    token: string,
    error?: string,
    status = 200,
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
              400,
            );
          }
          const password = withSso ? null : passwordSchema.safeParse(fields.password ?? "");
          if (password && !password.success) {
            return renderInvitation(request, reply, checked.value, token, `Your password ${password.error.issues[0]!.message}.`, 400);
          }
          const joined = await joinWithInvitation(
            ctx.db,
            clinic,
            token,
            { password: password?.data, ip: clientIp(request) },
            ctx.sessionPolicy,
            ctx.clock(),
          );
          if (!joined.ok) return sendProblem(request, reply, INVITATION_PROBLEMS[joined.error]);
          if (!joined.value.sessionToken) return reply.redirect("/saml/login?returnTo=%2Fdashboard", 303);
          // Session fixation: whatever session this browser had is ended; the new one replaces it.
          const previous = readSessionToken(request, ctx.config);
          if (previous) await deleteSession(ctx.db, previous);
          setSessionCookie(reply, ctx.config, joined.value.sessionToken);
          // Straight on: the dashboard sends anyone without a room to /welcome first.
          return reply.redirect("/dashboard", 303);
        },
      },
      sendNotFound,
    ),
  );
}
