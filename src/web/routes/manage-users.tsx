import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { countSeatsUsed } from "../../clinics/clinic.queries.js";
import { clinicOrigin } from "../../hosts.js";
import type { Result } from "../../result.js";
import type { Actor } from "../../audit/audit.js";
import { checkInvitation, inviteMember, resendInvitation } from "../../users/invitations.js";
import {
  changeMemberRole,
  removeMember,
  restoreMember,
  type ChangedMember,
  type ManageMemberError,
  type RestoredMember,
} from "../../users/manage-members.js";
import { listMembersWithRooms } from "../../users/member-list.queries.js";
import { listScimManagedUserIds } from "../../provisioning/scim/scim-user.queries.js";
import { emailSchema, normalizeEmail, personNameSchema, roleSchema } from "../../users/user.js";
import type { WebContext } from "../context.js";
import { clientIp, csrfToken, formFields } from "../forms.js";
import { forClinicAdmin, type ClinicAdmin as Admin } from "../guards.js";
import { ManageUsersPage, type InviteForm } from "../pages/manage-users.js";
import { fieldMessages } from "../../field-messages.js";
import { keepNotice, takeNotice, type Notice } from "../notices.js";
import { sendPage } from "../render.js";
import { seeOther, statusOf } from "../statuses.js";

// Every action names a member by email; a missing one is "" and finds nobody.
const EmailForm = z.object({ email: z.string().catch("").transform(normalizeEmail) });
const RoleForm = EmailForm.extend({ role: roleSchema });
const InviteBody = z.object({ email: emailSchema, name: personNameSchema, role: roleSchema });

// Every refusal in words the admin can act on. On this page the actor is always an active admin, so the
// last admin being changed is always the actor.
type Refusal = ManageMemberError | "not_invited" | "email_taken";
const REFUSALS: Record<Refusal, (email: string) => string> = {
  member_not_found: () => "That person is not a member of this clinic.",
  last_admin: () => "You are the last admin: make someone else admin first.",
  seat_limit_reached: () => "No free seat: remove someone or add seats.",
  invitation_pending: (e) => `${e} has not accepted their invitation yet: resend it instead.`,
  not_invited: (e) => `${e} has already joined or was removed, so there is no invitation to resend.`,
  email_taken: () => "That email already has an account, here or at another clinic. If they were removed, restore them from the list.",
};

type Done = Extract<Notice, { page: "users" }>["done"];

// The notice after a redirect, from the one-time flash kept with the admin's session (never from the URL).
const DONE = {
  removed: (e) => `${e} was removed: their seat is free and they were signed out everywhere.`,
  restored: (e) => `${e} was restored and can sign in again.`,
  admin: (e) => `${e} is now an admin.`,
  provider: (e) => `${e} is now a provider.`,
  unchanged: (e) => `Nothing changed: ${e} already was as asked.`,
} satisfies Record<Done, (email: string) => string>;

// Post/redirect/get for a new invitation link: the link holds the token, which must not travel in a URL (history,
// logs), so it waits for the next page load in a cookie only this page receives, for a few minutes, read once.
const NEW_LINK_COOKIE = "new_invitation";
const NEW_LINK_PATH = "/settings/users";
const NEW_LINK_SECONDS = 300;

/** Manage Users (/settings/users) for a clinic's active admins: members, roles, invitations sent. */
export function registerManageUsersRoutes(app: FastifyInstance, ctx: WebContext): void {
  const mailer = ctx.invitationMailer;
  const actorOf = (request: FastifyRequest, admin: Admin): Actor => ({ actor: admin.auth.user.id, ip: clientIp(request) });
  const delivery = (admin: Admin) => ({ origin: clinicOrigin(ctx.config, admin.clinic.subdomain), mailer });
  const csrf = { preHandler: app.csrfProtection };

  async function renderUsers(
    reply: FastifyReply,
    admin: Admin,
    extra: {
      notice?: string | undefined;
      error?: string | undefined;
      invitation?: { email: string; link: string };
      invite?: InviteForm;
    } = {},
    status?: number,
  ) {
    const [members, seatsUsed, scimManaged] = await Promise.all([
      listMembersWithRooms(ctx.db, admin.clinic.id),
      countSeatsUsed(ctx.db, admin.clinic.id),
      listScimManagedUserIds(ctx.db, admin.clinic.id),
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
          managedByScim: scimManaged.has(user.id),
        }))}
        {...extra}
      />,
      status,
    );
  }

  /** The page again with a refusal's sentence and the status statuses.ts gives its code. */
  const refuse = (reply: FastifyReply, admin: Admin, error: Refusal, email: string, extra: { invite?: InviteForm } = {}) =>
    renderUsers(reply, admin, { error: REFUSALS[error](email), ...extra }, statusOf(error));

  /**
   * PRG on success, its notice kept for the next page; a refusal re-renders the page with its sentence and status.
   * A restored invitee is invited again: rendered, not redirected, because their new link holds the token.
   */
  async function afterChange(
    request: FastifyRequest,
    reply: FastifyReply,
    admin: Admin,
    email: string,
    result: Result<ChangedMember | RestoredMember, ManageMemberError>,
    done: Done,
  ) {
    if (!result.ok) return refuse(reply, admin, result.error, email);
    const member = result.value.member.user.email;
    if ("invitationLink" in result.value && result.value.invitationLink) {
      const notice = `${member} had not accepted their invitation when they were removed: they are invited again, and their old link stays withdrawn.`;
      return renderUsers(reply, admin, { notice, invitation: { email: member, link: result.value.invitationLink } });
    }
    await keepNotice(ctx, request, { page: "users", done: result.value.changed ? done : "unchanged", email: member });
    return seeOther(reply, "/settings/users");
  }

  const newLinkCookie = { path: NEW_LINK_PATH, httpOnly: true, sameSite: "strict" as const, secure: ctx.config.scheme === "https" };

  /** Shows the new link on the next GET (see NEW_LINK_COOKIE), so a refresh never re-posts the invitation. */
  function redirectWithNewLink(reply: FastifyReply, link: string) {
    const token = link.slice(link.lastIndexOf("/") + 1);
    reply.setCookie(NEW_LINK_COOKIE, token, { ...newLinkCookie, maxAge: NEW_LINK_SECONDS });
    return seeOther(reply, NEW_LINK_PATH);
  }

  /** The invitation link waiting in the cookie, if it still names a pending invitation of this clinic; read once. */
  async function takeNewLink(request: FastifyRequest, reply: FastifyReply, admin: Admin) {
    const token = request.cookies[NEW_LINK_COOKIE];
    if (!token) return {};
    reply.clearCookie(NEW_LINK_COOKIE, newLinkCookie);
    const checked = await checkInvitation(ctx.db, admin.clinic, token, ctx.clock());
    return checked.ok ? { invitation: { email: checked.value.email, link: `${delivery(admin).origin}/invitations/${token}` } } : {};
  }

  app.get(
    "/settings/users",
    forClinicAdmin(async (request, reply, admin) => {
      const notice = await takeNotice(ctx, request, "users");
      const invitation = await takeNewLink(request, reply, admin);
      return renderUsers(reply, admin, { notice: notice ? DONE[notice.done](notice.email) : undefined, ...invitation });
    }),
  );

  app.post(
    "/settings/users/remove",
    csrf,
    forClinicAdmin(async (request, reply, admin) => {
      const { email } = EmailForm.parse(formFields(request));
      const removed = await removeMember(ctx.db, admin.clinic, email, actorOf(request, admin), ctx.clock());
      return afterChange(request, reply, admin, email, removed, "removed");
    }),
  );

  app.post(
    "/settings/users/restore",
    csrf,
    forClinicAdmin(async (request, reply, admin) => {
      const { email } = EmailForm.parse(formFields(request));
      const restored = await restoreMember(ctx.db, admin.clinic, email, actorOf(request, admin), delivery(admin), ctx.clock());
      return afterChange(request, reply, admin, email, restored, "restored");
    }),
  );

  app.post(
    "/settings/users/role",
    csrf,
    forClinicAdmin(async (request, reply, admin) => {
      const form = RoleForm.safeParse(formFields(request));
      if (!form.success) return renderUsers(reply, admin, { error: "Choose admin or provider." }, statusOf("invalid_role"));
      const { email, role } = form.data;
      const changed = await changeMemberRole(ctx.db, admin.clinic, email, role, actorOf(request, admin), ctx.clock());
      return afterChange(request, reply, admin, email, changed, role);
    }),
  );

  app.post(
    "/settings/users/invite",
    csrf,
    forClinicAdmin(async (request, reply, admin) => {
      const fields = formFields(request);
      const form = { email: fields.email ?? "", name: fields.name ?? "", role: fields.role ?? "provider", errors: {} };
      const input = InviteBody.safeParse(form);
      if (!input.success)
        return renderUsers(reply, admin, { invite: { ...form, errors: fieldMessages(input.error) } }, statusOf("invalid_input"));
      const invited = await inviteMember(ctx.db, admin.clinic, input.data, actorOf(request, admin), delivery(admin), ctx.clock());
      if (!invited.ok) return refuse(reply, admin, invited.error, input.data.email, { invite: form });
      return redirectWithNewLink(reply, invited.value.link);
    }),
  );

  app.post(
    "/settings/users/resend",
    csrf,
    forClinicAdmin(async (request, reply, admin) => {
      const { email } = EmailForm.parse(formFields(request));
      const resent = await resendInvitation(ctx.db, admin.clinic, email, actorOf(request, admin), delivery(admin), ctx.clock());
      if (!resent.ok) return refuse(reply, admin, resent.error, email);
      return redirectWithNewLink(reply, resent.value.link);
    }),
  );
}
