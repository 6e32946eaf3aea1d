import type { AuthMethod } from "../../sessions/auth-method.js";
import type { VNode } from "preact";
import { Alert, Layout, LocalTime } from "../render.js";
import { SettingsCrumbs } from "./settings-crumbs.js";

export interface ManagedMember {
  email: string;
  name: string;
  role: "admin" | "provider";
  status: "active" | "invited" | "deactivated";
  roomName: string | null;
  lastSignInAt: string | null;
  lastSignInMethod: string | null;
  /** Created or claimed by the clinic's IdP over SCIM: the IdP adds and removes them. */
  managedByScim?: boolean | undefined;
}

export interface InviteForm {
  email: string;
  name: string;
  role: string;
  errors: Record<string, string>;
}

export interface ManageUsersPageProps {
  clinicName: string;
  userName: string;
  /** The signed-in admin, marked "(you)" in the table. */
  userEmail: string;
  csrfToken: string;
  seats: number;
  seatsUsed: number;
  members: ManagedMember[];
  notice?: string | undefined;
  error?: string | undefined;
  /** Shown once, right after an invitation was created or resent. */
  invitation?: { email: string; link: string } | undefined;
  invite?: InviteForm | undefined;
}

const STATUS_LABELS = { active: "Active", invited: "Invited", deactivated: "Removed" } as const;
const STATUS_BADGES = { active: "badge-ok", invited: "badge-warn", deactivated: "badge-off" } as const;
const METHOD_LABELS: Record<string, string> = {
  password: "with password",
  saml: "with SSO",
  handoff: "from the main site (settings only)",
  recovery_code: "with a recovery code (settings only)",
} satisfies Record<AuthMethod, string>;

function LastSignIn({ m }: { m: ManagedMember }): VNode {
  if (!m.lastSignInAt) return <>Never</>;
  return (
    <>
      <LocalTime iso={m.lastSignInAt} />
      {m.lastSignInMethod && <span class="muted"> {METHOD_LABELS[m.lastSignInMethod] ?? `with ${m.lastSignInMethod}`}</span>}
    </>
  );
}

/** A change that asks first: a <details> opens without JavaScript, and the change itself is a plain POST. */
function ConfirmForm(p: {
  csrfToken: string;
  action: string;
  email: string;
  label: string;
  explanation: string;
  confirm: string;
  extra?: Record<string, string>;
  kind?: string;
}): VNode {
  return (
    <details class="steps">
      <summary>{p.label}</summary>
      <form method="post" action={`/settings/users/${p.action}`}>
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <input type="hidden" name="email" value={p.email} />
        {Object.entries(p.extra ?? {}).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <p class="small">{p.explanation}</p>
        <button type="submit" class={p.kind}>
          {p.confirm}
        </button>
      </form>
    </details>
  );
}

function ActionForm(p: {
  csrfToken: string;
  action: string;
  email: string;
  label: string;
  extra?: Record<string, string>;
  kind?: string;
}): VNode {
  return (
    <form method="post" action={`/settings/users/${p.action}`} class="inline">
      <input type="hidden" name="_csrf" value={p.csrfToken} />
      <input type="hidden" name="email" value={p.email} />
      {Object.entries(p.extra ?? {}).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={p.kind ?? "secondary"}>
        {p.label}
      </button>
    </form>
  );
}

const LAST_ADMIN_REASON = "You are the only admin: make someone else admin before you change your own role or remove yourself.";

function RowActions({ m, csrfToken, isLastAdmin }: { m: ManagedMember; csrfToken: string; isLastAdmin: boolean }): VNode {
  if (m.status === "deactivated") return <ActionForm csrfToken={csrfToken} action="restore" email={m.email} label="Restore" />;
  const otherRole = m.role === "admin" ? "provider" : "admin";
  if (isLastAdmin) {
    // Offered but disabled, with the reason beside them: clicking would only be refused.
    return (
      <>
        <button type="button" class="secondary" disabled aria-describedby="last-admin-reason">
          Make provider
        </button>
        <button type="button" class="secondary" disabled aria-describedby="last-admin-reason">
          Remove
        </button>
        <p id="last-admin-reason" class="small muted disabled-reason">
          {LAST_ADMIN_REASON}
        </p>
      </>
    );
  }
  return (
    <>
      {m.status === "invited" && <ActionForm csrfToken={csrfToken} action="resend" email={m.email} label="Resend invitation" />}
      <ConfirmForm
        csrfToken={csrfToken}
        action="role"
        email={m.email}
        extra={{ role: otherRole }}
        label={`Make ${otherRole}`}
        explanation={
          otherRole === "admin"
            ? `${m.name} will be able to manage users and single sign-on for the whole clinic.`
            : `${m.name} will no longer be able to manage users or single sign-on.`
        }
        confirm={`Yes, make ${m.name} ${otherRole}`}
      />
      <ConfirmForm
        csrfToken={csrfToken}
        action="remove"
        email={m.email}
        label="Remove"
        kind="danger"
        explanation={
          m.status === "invited"
            ? `${m.name}'s invitation stops working and the seat is freed.`
            : `${m.name} is signed out at once, can no longer sign in, and the seat is freed. You can restore them later.`
        }
        confirm={`Yes, remove ${m.name}`}
      />
    </>
  );
}

/** One field of the invite form, with its refusal announced beside it. */
function InviteField(p: { name: "email" | "name"; label: string; value: string; error: string | undefined }): VNode {
  const id = `invite-${p.name}`;
  const attributes = {
    id,
    name: p.name,
    required: true,
    value: p.value,
    "aria-describedby": p.error ? `${id}-error` : undefined,
    "aria-invalid": p.error ? ("true" as const) : undefined,
  };
  return (
    <>
      <label for={id}>{p.label}</label>
      {p.name === "email" ? <input type="email" {...attributes} /> : <input type="text" {...attributes} />}
      {p.error && (
        <p id={`${id}-error`} class="small alert-error">
          {p.label} {p.error}
        </p>
      )}
    </>
  );
}

/** Account Settings → Clinic Settings → Manage Users: who holds the clinic's seats, and the admin's levers on them. */
export function ManageUsersPage(p: ManageUsersPageProps): VNode {
  const invite = p.invite ?? { email: "", name: "", role: "provider", errors: {} };
  const activeAdmins = p.members.filter((m) => m.role === "admin" && m.status === "active").length;
  return (
    <Layout title="Manage Users" brand={p.clinicName} wide signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <SettingsCrumbs current="Manage Users" />
      <h1>Manage Users</h1>
      {p.notice && <Alert kind="success">{p.notice}</Alert>}
      {p.error && <Alert kind="error">{p.error}</Alert>}
      {p.invitation && (
        <Alert kind="success">
          <p>Invitation created for {p.invitation.email}. Send them this link: it works once, for 7 days, and is shown only now.</p>
          <div class="copy-row">
            <code id="invitation-link">{p.invitation.link}</code>
            <button type="button" class="secondary" data-copy="invitation-link">
              Copy
            </button>
          </div>
        </Alert>
      )}
      <p id="seats">
        <strong>{p.seatsUsed}</strong> of {p.seats} seats used
        {p.seatsUsed >= p.seats && " · no free seat: remove someone or ask us for more seats"}
      </p>
      <p class="small muted">Active and invited people hold a seat. Removing someone frees their seat and signs them out everywhere.</p>

      <table class="small members">
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Role</th>
            <th scope="col">Room</th>
            <th scope="col">Status</th>
            <th scope="col">Last sign-in</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {p.members.map((m) => (
            <tr data-email={m.email}>
              <td class="person">
                <strong>{m.name}</strong>
                {m.email === p.userEmail && " (you)"}
                {m.managedByScim && (
                  <>
                    {" "}
                    <span class="badge badge-scim" title="Your identity provider adds, updates and removes this person">
                      Managed by SCIM
                    </span>
                  </>
                )}
                <br />
                <span class="muted">{m.email}</span>
              </td>
              <td data-label="Role">{m.role}</td>
              <td data-label="Room" class="nowrap">
                {m.roomName ?? "—"}
              </td>
              <td data-label="Status">
                <span class={`badge ${STATUS_BADGES[m.status]}`}>{STATUS_LABELS[m.status]}</span>
              </td>
              <td data-label="Last sign-in">
                <LastSignIn m={m} />
              </td>
              <td>
                <div class="actions">
                  <RowActions
                    m={m}
                    csrfToken={p.csrfToken}
                    isLastAdmin={m.role === "admin" && m.status === "active" && activeAdmins === 1}
                  />
                </div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Invite someone</h2>
      <form method="post" action="/settings/users/invite" novalidate>
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <InviteField name="email" label="Email" value={invite.email} error={invite.errors.email} />
        <InviteField name="name" label="Name" value={invite.name} error={invite.errors.name} />
        <label for="invite-role">Role</label>
        <select id="invite-role" name="role">
          <option value="provider" selected={invite.role !== "admin"}>
            Provider
          </option>
          <option value="admin" selected={invite.role === "admin"}>
            Admin
          </option>
        </select>
        {invite.errors.role && <p class="small alert-error">Role {invite.errors.role}</p>}
        <button type="submit">Create invitation</button>
      </form>
    </Layout>
  );
}
