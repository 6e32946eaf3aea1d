import type { VNode } from "preact";
import type { DemoPerson } from "../../demo/demo-people.js";
import { Alert, Layout } from "../render.js";

// Shown top left on every demo IdP page, so nobody takes it for a part of ClinicRooms or a real provider.
const BRAND = "Demo identity provider · development only";

function DevelopmentOnly(): VNode {
  return (
    <Alert kind="info">
      <strong>Demo identity provider — development only.</strong> It lets anyone sign in as any of the demo people below, or as any email
      and name typed here, and it only runs when ClinicRooms is served over http on localhost, never in production. A real clinic would see
      its own Okta, Microsoft Entra ID or Auth0 sign-in here instead.
    </Alert>
  );
}

/** One submit button per person: the button's value says who signs in. */
function PeopleTable({ people }: { people: readonly DemoPerson[] }): VNode {
  return (
    <table class="stacked">
      <thead>
        <tr>
          <th scope="col">Person</th>
          <th scope="col">Email</th>
          <th scope="col">In this demo</th>
        </tr>
      </thead>
      <tbody>
        {people.map((person) => (
          <tr key={person.email}>
            <td>
              <button type="submit" name="person" value={person.email}>
                {`Sign in as ${person.displayName}`}
              </button>
            </td>
            <td>{person.email}</td>
            <td class="small muted">{person.note}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Anyone at all: the email and name the IdP vouches for, typed (e.g. lee@acme.example for a clinic created by hand). */
function AnyPerson({ idPrefix }: { idPrefix: string }): VNode {
  return (
    <fieldset class="any-person">
      <legend>Or sign in as anyone</legend>
      <label for={`${idPrefix}-email`}>Email</label>
      <input id={`${idPrefix}-email`} name="email" type="email" autocomplete="off" placeholder="lee@acme.example" />
      <label for={`${idPrefix}-name`}>Name</label>
      <input id={`${idPrefix}-name`} name="name" type="text" autocomplete="off" placeholder="Dr. Lee" />
      <button type="submit" class="secondary">
        Sign in as this person
      </button>
    </fieldset>
  );
}

export interface DemoIdpLoginPageProps {
  clinicName: string;
  spEntityId: string;
  people: readonly DemoPerson[];
  csrfToken: string;
  /** The AuthnRequest exactly as received: the POST reads and checks it again. */
  samlRequest: string;
  relayState: string | null;
  error?: string | undefined;
}

/** The IdP's login screen for an SP-initiated sign-in. */
export function DemoIdpLoginPage(p: DemoIdpLoginPageProps): VNode {
  const title = `Sign in to ${p.clinicName}`;
  return (
    <Layout title={title} brand={BRAND}>
      <DevelopmentOnly />
      <h1>{title}</h1>
      <p>
        {p.clinicName} asked the identity provider who you are. Choose a demo person: the provider answers with a signed SAML response, and{" "}
        {p.clinicName} decides whether to let that person in.
      </p>
      {p.error && <Alert kind="error">{p.error}</Alert>}
      <form method="post" action="/demo-idp/sso">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <input type="hidden" name="SAMLRequest" value={p.samlRequest} />
        {p.relayState !== null && <input type="hidden" name="RelayState" value={p.relayState} />}
        <PeopleTable people={p.people} />
      </form>
      <form method="post" action="/demo-idp/sso">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <input type="hidden" name="SAMLRequest" value={p.samlRequest} />
        {p.relayState !== null && <input type="hidden" name="RelayState" value={p.relayState} />}
        <AnyPerson idPrefix="any" />
      </form>
      <p class="small muted">
        Requested by the service provider <span class="ref">{p.spEntityId}</span>
      </p>
    </Layout>
  );
}

export interface DemoIdpApp {
  clinicId: string;
  clinicName: string;
  dashboardUrl: string;
}

export interface DemoIdpAppsPageProps {
  apps: DemoIdpApp[];
  people: readonly DemoPerson[];
  csrfToken: string;
  error?: string | undefined;
}

/** The IdP's app dashboard: IdP-initiated sign-in to each connected clinic. */
export function DemoIdpAppsPage(p: DemoIdpAppsPageProps): VNode {
  return (
    <Layout title="Your apps" brand={BRAND}>
      <DevelopmentOnly />
      <h1>Your apps</h1>
      <p>
        Like a tile on an Okta or Microsoft dashboard: choosing a clinic here signs you in without the clinic asking first (IdP-initiated
        sign-in), and lands on its dashboard.
      </p>
      {p.error && <Alert kind="error">{p.error}</Alert>}
      {p.apps.length === 0 && <p>No clinic is connected to the demo identity provider yet.</p>}
      {p.apps.map((app) => (
        <section key={app.clinicId} aria-labelledby={`app-${app.clinicId}`}>
          <h2 id={`app-${app.clinicId}`}>{app.clinicName}</h2>
          <p class="small muted">Lands on {app.dashboardUrl}</p>
          <form method="post" action="/demo-idp/apps">
            <input type="hidden" name="_csrf" value={p.csrfToken} />
            <input type="hidden" name="clinic" value={app.clinicId} />
            <PeopleTable people={p.people} />
          </form>
          <form method="post" action="/demo-idp/apps">
            <input type="hidden" name="_csrf" value={p.csrfToken} />
            <input type="hidden" name="clinic" value={app.clinicId} />
            <AnyPerson idPrefix={`any-${app.clinicId}`} />
          </form>
        </section>
      ))}
    </Layout>
  );
}
