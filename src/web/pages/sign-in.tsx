import type { VNode } from "preact";
import { Alert, Layout } from "../render.js";

export interface SignInPageProps {
  /** The clinic's name on a clinic host; absent on the main site. */
  clinicName?: string;
  csrfToken: string;
  returnTo?: string | undefined;
  email?: string;
  error?: string | undefined;
  notice?: string | undefined;
  /** URL that starts single sign-on, when the clinic has it enabled. */
  ssoStartUrl?: string | null;
  /** The main site's sign-in page, the password fallback, on clinic hosts. */
  mainSignInUrl?: string | undefined;
  /** False when the clinic enforces SSO: the password form is not offered. */
  passwordAllowed?: boolean;
  /** The recovery-code sign-in for admins, offered when the clinic enforces SSO. */
  recoveryUrl?: string | undefined;
}

export function SignInPage(p: SignInPageProps): VNode {
  const title = p.clinicName ? `Sign in to ${p.clinicName}` : "Sign in";
  const passwordAllowed = p.passwordAllowed ?? true;
  return (
    <Layout title={title} brand={p.clinicName}>
      <h1>{title}</h1>
      {p.error && <Alert kind="error">{p.error}</Alert>}
      {p.notice && <Alert kind="info">{p.notice}</Alert>}
      {p.ssoStartUrl && (
        <a class="button" id="sso-button" href={p.ssoStartUrl}>
          Sign in with SSO
        </a>
      )}
      {p.ssoStartUrl && passwordAllowed && <p class="divider">or sign in with your password</p>}
      {passwordAllowed && (
        <form method="post" action="/sign-in" novalidate>
          <input type="hidden" name="_csrf" value={p.csrfToken} />
          {p.returnTo && <input type="hidden" name="returnTo" value={p.returnTo} />}
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required value={p.email ?? ""} />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit">Sign in</button>
        </form>
      )}
      {!passwordAllowed && (
        <p class="muted small">
          Your clinic signs you in through its identity provider. If you cannot use it, you can still{" "}
          {p.mainSignInUrl ? (
            <a href={p.mainSignInUrl}>sign in with your email and password on the main site</a>
          ) : (
            "sign in with your email and password on the main site"
          )}
          .
        </p>
      )}
      {p.recoveryUrl && (
        <p class="muted small">
          Clinic admin, and your identity provider is down? <a href={p.recoveryUrl}>Sign in to the settings with a recovery code</a>.
        </p>
      )}
    </Layout>
  );
}
