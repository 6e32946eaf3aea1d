import type { VNode } from "preact";
import { Alert, Layout } from "../render.js";

export interface InvitationPageProps {
  clinicName: string;
  name: string;
  email: string;
  csrfToken: string;
  /** The form's own address, /invitations/<token>. */
  action: string;
  /** The clinic's single sign-on is on: the person may join without a password. */
  ssoEnabled: boolean;
  /** SSO is required on the clinic's sign-in page: a password would not be accepted there. */
  ssoEnforced: boolean;
  error?: string | undefined;
}

/** The page behind an invitation link: join the clinic by choosing a password, or by the clinic's single sign-on. */
export function InvitationPage(p: InvitationPageProps): VNode {
  return (
    <Layout title={`Join ${p.clinicName}`} brand={p.clinicName}>
      <h1>Join {p.clinicName}</h1>
      <p>
        Welcome, {p.name}. You were invited as <strong>{p.email}</strong>.
      </p>
      {p.error && <Alert kind="error">{p.error}</Alert>}
      {p.ssoEnabled && (
        <form method="post" action={p.action}>
          <input type="hidden" name="_csrf" value={p.csrfToken} />
          <input type="hidden" name="method" value="sso" />
          <p class="small muted">Your clinic signs you in with its identity provider: no new password needed.</p>
          <button type="submit" id="join-sso">
            Join and continue with SSO
          </button>
        </form>
      )}
      {p.ssoEnabled && !p.ssoEnforced && <p class="divider">or choose a password</p>}
      {!p.ssoEnforced && (
        <form method="post" action={p.action} novalidate>
          <input type="hidden" name="_csrf" value={p.csrfToken} />
          <input type="hidden" name="method" value="password" />
          <input type="email" name="username" autocomplete="username" value={p.email} hidden readonly />
          <label for="password">Choose a password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            minlength={12}
            required
            aria-describedby="password-help"
          />
          <p id="password-help" class="small muted">
            At least 12 characters. A few unrelated words make a strong password that is easy to remember.
          </p>
          <button type="submit">Set password and join</button>
        </form>
      )}
    </Layout>
  );
}
