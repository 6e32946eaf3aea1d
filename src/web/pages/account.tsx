import type { VNode } from "preact";
import { Alert, Layout } from "../render.js";

export interface AccountPageProps {
  userName: string;
  email: string;
  /** settingsHandoff: the person is an admin of a clinic that requires SSO, offered a way into its settings from here. */
  clinic: { name: string; dashboardUrl: string; settingsHandoff: boolean } | null;
  /** Set when the person's email domain is locked by a clinic: they sign in there, with single sign-on. */
  ssoDomain?: { clinicName: string; domain: string; signInUrl: string } | null;
  csrfToken: string;
}

/** The main site after a password sign-in: offers the way on to the person's clinic. */
export function AccountPage(p: AccountPageProps): VNode {
  return (
    <Layout title="Your account" signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <h1>Hello, {p.userName}</h1>
      <p class="muted">Signed in as {p.email}</p>
      {p.ssoDomain && (
        <Alert kind="info">
          {p.ssoDomain.clinicName} signs in addresses at @{p.ssoDomain.domain} with single sign-on.{" "}
          <a id="clinic-sso-link" href={p.ssoDomain.signInUrl}>
            Sign in at {p.ssoDomain.clinicName}
          </a>{" "}
          with your organisation's account.
        </Alert>
      )}
      {p.clinic ? (
        <>
          <p>You are a member of {p.clinic.name}.</p>
          <a class="button" id="clinic-dashboard-link" href={p.clinic.dashboardUrl}>
            Go to your clinic dashboard
          </a>
          <p class="small muted">Your clinic's dashboard has its own sign-in, which may be your clinic's single sign-on.</p>
          {p.clinic.settingsHandoff && (
            <form method="post" action="/account/clinic-settings">
              <input type="hidden" name="_csrf" value={p.csrfToken} />
              <p>
                Your clinic requires single sign-on. If its identity provider is not working, open the clinic settings from here to fix the
                connection or turn the requirement off: Manage Users and Single sign-on only, for at most an hour, recorded in your clinic's
                audit log and sign-in events.
              </p>
              <button type="submit" class="secondary">
                Open clinic settings
              </button>
            </form>
          )}
        </>
      ) : (
        <p>Your account is not part of a clinic.</p>
      )}
    </Layout>
  );
}
