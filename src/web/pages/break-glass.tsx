import type { VNode } from "preact";
import { Alert, Layout } from "../render.js";
import { SettingsCrumbs } from "./settings-crumbs.js";

/** The Recovery codes section of the Single sign-on page, for the admin looking at it. */
export function RecoveryCodesSection({ unused, csrfToken }: { unused: number; csrfToken: string }): VNode {
  return (
    <section aria-labelledby="recovery-codes-heading">
      <h2 id="recovery-codes-heading">Your recovery codes</h2>
      <p>
        If your identity provider ever stops working while single sign-on is required, a recovery code signs you in on the clinic sign-in
        page without it: for the settings pages only, for at most an hour. You give a reason, the other admins are told, and the use is
        recorded in the audit log. Each code works once.
      </p>
      <p>
        <strong>
          {unused === 0 ? "You have no unused recovery codes." : `You have ${unused} unused recovery code${unused === 1 ? "" : "s"}.`}
        </strong>
      </p>
      <form method="post" action="/settings/sso/recovery-codes">
        <input type="hidden" name="_csrf" value={csrfToken} />
        <button type="submit" class="secondary">
          {unused === 0 ? "Generate recovery codes" : "Replace my recovery codes"}
        </button>
      </form>
    </section>
  );
}

/** The one time a new set of recovery codes is shown. */
export function RecoveryCodesShownPage(p: { clinicName: string; userName: string; csrfToken: string; codes: string[] }): VNode {
  return (
    <Layout title="Your recovery codes" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <SettingsCrumbs current="Recovery codes" />
      <h1>Your recovery codes</h1>
      <Alert kind="info">
        Save these now, somewhere safe away from this computer (a password manager, or printed): they are shown only this once. Any earlier
        codes of yours no longer work.
      </Alert>
      <ol id="recovery-codes" class="codes">
        {p.codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <a class="button" href="/settings/sso">
        I have saved them
      </a>
    </Layout>
  );
}

export interface RecoverySignInPageProps {
  clinicName: string;
  csrfToken: string;
  email?: string;
  reason?: string;
  error?: string | undefined;
}

/** The clinic host's break-glass sign-in for admins: email, a recovery code and the reason. */
export function RecoverySignInPage(p: RecoverySignInPageProps): VNode {
  return (
    <Layout title={`Sign in to ${p.clinicName} with a recovery code`} brand={p.clinicName} brandHref={null}>
      <h1>Sign in with a recovery code</h1>
      <p>
        For clinic admins who cannot sign in through the identity provider. You reach only the clinic settings (Manage Users and Single
        sign-on), for at most an hour; the other admins are told, and the use is recorded with your reason.
      </p>
      {p.error && <Alert kind="error">{p.error}</Alert>}
      <form method="post" action="/sign-in/recovery" novalidate>
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value={p.email ?? ""} />
        <label for="code">Recovery code</label>
        <input id="code" name="code" type="text" autocomplete="one-time-code" autocapitalize="characters" spellcheck={false} required />
        <label for="reason">Why you need emergency access</label>
        <textarea id="reason" name="reason" rows={3} required>
          {p.reason ?? ""}
        </textarea>
        <button type="submit">Sign in to the settings</button>
      </form>
      <p class="small">
        <a href="/sign-in">Back to the sign-in page</a>
      </p>
    </Layout>
  );
}
