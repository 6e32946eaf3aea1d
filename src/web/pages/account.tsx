import type { VNode } from "preact";
import { Layout } from "../render.js";

export interface AccountPageProps {
  userName: string;
  email: string;
  clinic: { name: string; dashboardUrl: string } | null;
  csrfToken: string;
}

/** The main site after a password sign-in: offers the way on to the person's clinic. */
export function AccountPage(p: AccountPageProps): VNode {
  return (
    <Layout title="Your account" signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <h1>Hello, {p.userName}</h1>
      <p class="muted">Signed in as {p.email}</p>
      {p.clinic ? (
        <>
          <p>You are a member of {p.clinic.name}.</p>
          <a class="button" id="clinic-dashboard-link" href={p.clinic.dashboardUrl}>
            Go to your clinic dashboard
          </a>
          <p class="small muted">Your clinic's dashboard has its own sign-in, which may be your clinic's single sign-on.</p>
        </>
      ) : (
        <p>Your account is not part of a clinic.</p>
      )}
    </Layout>
  );
}
