import type { ComponentChildren, VNode } from "preact";
import type { StoredNotification } from "../../notifications/notification.queries.js";
import type { SamlConnectionDescription } from "../../sso/saml/connection-summary.js";
import type { ExplainedSsoEvent } from "../../sign-in/explain-sso-events.js";
import { Alert, Layout, LocalTime } from "../render.js";
import { CopyValue } from "./copy-value.js";
import { MetadataRefreshSection, type MetadataRefreshView } from "./metadata-refresh.js";
import { NotificationBanners } from "./notification-banners.js";
import { SettingsCrumbs } from "./settings-crumbs.js";
import { SsoEventTable } from "./sso-event-log.js";

export interface SsoSettingsPageProps {
  clinicName: string;
  userName: string;
  csrfToken: string;
  sso: SamlConnectionDescription;
  failures: ExplainedSsoEvent[];
  notice?: string | undefined;
  error?: string | undefined;
  /** Open notices for the clinic's admins. */
  notices?: StoredNotification[];
  /** The metadata URL's daily check and a pending change; null when the connection was not set up from a URL. */
  metadataRefresh?: MetadataRefreshView | null;
  /** Further sections (email domains, recovery codes), each its own component. */
  sections?: ComponentChildren;
  /** Connecting, testing and turning on the IdP side, and the rollover's next certificate. */
  idpSide?: VNode | undefined;
}

/** The switches an admin flips on this page, in the order shown, with their labels and help. */
export const SSO_SWITCHES = {
  jitProvisioning: {
    label: "Just-in-time provisioning",
    help: "People assigned to the app in your IdP get an account at their first sign-in, taking a free seat, and choose their room name.",
  },
  allowIdpInitiated: {
    label: "Sign-in from the IdP's app dashboard",
    help: "Lets people start from the Okta / Microsoft My Apps / Auth0 dashboard; they land on the clinic dashboard. The trade-off: a response nobody asked for cannot be tied to the browser it arrives in, so another web page could sign a visitor in as someone else (its author, say). Turn it off if everyone starts from the clinic sign-in page.",
  },
  enforceSso: {
    label: "Require single sign-on",
    help: "The clinic sign-in page offers only single sign-on. Existing users can still sign in with email and password on the main site.",
  },
} as const;

export type SsoSwitch = keyof typeof SSO_SWITCHES;

const ENFORCE_WAITS =
  "Available after the first successful single sign-on, so a connection that has never worked cannot lock your clinic out.";

function FlagForm(p: { csrfToken: string; flag: string; on: boolean; label: string; help: string; disabledReason?: string | null }): VNode {
  return (
    <form method="post" action="/settings/sso/flags" class="toggle-row">
      <input type="hidden" name="_csrf" value={p.csrfToken} />
      <input type="hidden" name="flag" value={p.flag} />
      <input type="hidden" name="value" value={p.on ? "off" : "on"} />
      <div>
        <strong>{p.label}</strong> <span class={`badge ${p.on ? "badge-ok" : "badge-off"}`}>{p.on ? "On" : "Off"}</span>
        <div class="small muted">{p.help}</div>
        {p.disabledReason && <div class="small">{p.disabledReason}</div>}
      </div>
      <button type="submit" class="secondary" disabled={Boolean(p.disabledReason)}>
        {p.on ? "Turn off" : "Turn on"}
      </button>
    </form>
  );
}

/** A fingerprint that may wrap only between bytes (after a colon), never inside one. */
function Fingerprint({ value }: { value: string }): VNode {
  const bytes = value.split(":");
  return (
    <span class="fingerprint">
      {bytes.map((byte, i) => (
        <>
          {byte}
          {i < bytes.length - 1 && (
            <>
              :<wbr />
            </>
          )}
        </>
      ))}
    </span>
  );
}

/** The clinic's single sign-on page: every value the help article asks for, the steps per IdP, and the state. */
export function SsoSettingsPage(p: SsoSettingsPageProps): VNode {
  const { sso } = p;
  return (
    <Layout title="Single sign-on" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <SettingsCrumbs current="Single sign-on" />
      <h1>Single sign-on (SAML 2.0)</h1>
      {p.notice && <Alert kind="success">{p.notice}</Alert>}
      {p.error && <Alert kind="error">{p.error}</Alert>}
      <NotificationBanners notices={p.notices ?? []} csrfToken={p.csrfToken} page="/settings/sso" />

      <h2>Connection</h2>
      {sso.idp ? (
        <dl class="facts">
          <dt>Status</dt>
          <dd>
            <span class={`badge ${sso.enabled ? "badge-ok" : "badge-off"}`}>{sso.enabled ? "Enabled" : "Disabled"}</span>
            {sso.enforceSso && " · enforced: the clinic sign-in page offers only single sign-on"}
          </dd>
          <dt>Identity provider</dt>
          <dd>{sso.presetLabel}</dd>
          <dt>IdP entity ID</dt>
          <dd>{sso.idp.entityId}</dd>
          <dt>IdP SSO URL</dt>
          <dd>{sso.idp.ssoUrl}</dd>
          <dt>Last successful sign-in</dt>
          <dd>{sso.lastSuccessfulSignInAt ? <LocalTime iso={sso.lastSuccessfulSignInAt} /> : "none yet"}</dd>
          {sso.idp.certificates.map((c, i) => (
            <>
              <dt>{i === 0 ? "Current certificate" : "Next certificate"}</dt>
              <dd>
                {c.subject}
                <br />
                <span class="small">
                  SHA-256 <Fingerprint value={c.fingerprintSha256} />
                </span>
                <br />
                Expires <LocalTime iso={c.notAfter} dateOnly />{" "}
                {c.daysUntilExpiry < 0 ? (
                  <span class="badge badge-warn">expired</span>
                ) : c.expiringSoon ? (
                  <span class="badge badge-warn">expires in {c.daysUntilExpiry} days: upload the new certificate now</span>
                ) : (
                  <span class="small muted">({c.daysUntilExpiry} days left)</span>
                )}
              </dd>
            </>
          ))}
        </dl>
      ) : (
        <Alert kind="info">
          Single sign-on is not connected yet. Set up the app in your identity provider with the values below, then connect it here with its
          metadata URL, its metadata, or its Single Sign-On URL and X.509 certificate.
        </Alert>
      )}
      {p.idpSide}

      {sso.idp && (
        <>
          <h2>Settings</h2>
          {(Object.keys(SSO_SWITCHES) as SsoSwitch[]).map((flag) => (
            <FlagForm
              csrfToken={p.csrfToken}
              flag={flag}
              on={sso[flag]}
              label={SSO_SWITCHES[flag].label}
              help={SSO_SWITCHES[flag].help}
              disabledReason={flag === "enforceSso" && !sso.enforceSso && !sso.lastSuccessfulSignInAt ? ENFORCE_WAITS : null}
            />
          ))}
        </>
      )}
      {p.metadataRefresh && <MetadataRefreshSection view={p.metadataRefresh} csrfToken={p.csrfToken} />}

      <h2>Values for your identity provider</h2>
      <CopyValue id="acs-url" label="Single sign on URL (ACS URL)" value={sso.acsUrl} hint="Also the Recipient URL and Destination URL." />
      <CopyValue id="sp-entity-id" label="Audience URI (SP Entity ID)" value={sso.spEntityId} />
      <CopyValue
        id="relay-state"
        label="Default RelayState"
        value={sso.defaultRelayState}
        hint="Your clinic dashboard: where sign-ins from the IdP's app dashboard land."
      />
      <CopyValue id="name-id-format" label="Name ID format" value="EmailAddress" hint={sso.nameIdFormat} />
      <CopyValue
        id="attribute-email"
        label="Attribute statement"
        value="email"
        hint="Name format Unspecified, value: the user's email (Okta: user.email)."
      />
      <CopyValue id="sp-metadata" label="Our SAML metadata (for IdPs that import it)" value={sso.spMetadataUrl} />
      <CopyValue id="sign-in-page" label="Your clinic sign-in page" value={sso.signInPageUrl} />

      <h2>Step by step</h2>
      <details class="steps">
        <summary>Okta</summary>
        <ol>
          <li>
            Applications → Create App Integration → SAML 2.0. Set an App name and logo; under App visibility check both "Do not display
            application icon" options. Next.
          </li>
          <li>Single sign on URL: the ACS URL above; check "Use this for Recipient URL and Destination URL".</li>
          <li>Audience URI (SP Entity ID): the value above. Default RelayState: your clinic dashboard above.</li>
          <li>Name ID format: EmailAddress. Application username: Email.</li>
          <li>
            Attribute Statements: Name <code>email</code>, Name format Unspecified, Value <code>user.email</code>. Next, Finish.
          </li>
          <li>Assignments: assign the people (or groups) who should sign in.</li>
          <li>
            Sign On tab → View SAML setup instructions: send us the Identity Provider Single Sign-On URL and the X.509 certificate (download
            the .cert file), or the "Metadata URL".
          </li>
        </ol>
      </details>
      <details class="steps">
        <summary>Microsoft Entra ID</summary>
        <ol>
          <li>
            Enterprise applications → New application → Create your own application → "Integrate any other application you don't find in the
            gallery".
          </li>
          <li>
            Single sign-on → SAML. Basic SAML Configuration: Identifier (Entity ID) = Audience URI above; Reply URL (Assertion Consumer
            Service URL) = ACS URL above; Relay State = Default RelayState above; Sign on URL = your clinic sign-in page.
          </li>
          <li>
            Attributes &amp; Claims: Unique User Identifier (Name ID) = <code>user.mail</code> with format Email address. If some people
            have no mailbox (user.mail empty), use <code>user.userprincipalname</code>. Keep the default emailaddress claim.
          </li>
          <li>
            SAML Certificates: leave signing option "Sign SAML assertion" and SHA-256. Send us the "App Federation Metadata Url" (it covers
            certificate rollovers), or the Login URL, the Microsoft Entra Identifier and the Certificate (Base64).
          </li>
          <li>Users and groups: assign the people who should sign in.</li>
        </ol>
      </details>
      <details class="steps">
        <summary>Auth0</summary>
        <ol>
          <li>Applications → Create Application (Regular Web Application) → Addons → SAML2 Web App.</li>
          <li>Application Callback URL: the ACS URL above.</li>
          <li>
            Settings (JSON):{" "}
            <code>{`"audience": "${sso.spEntityId}", "recipient": "${sso.acsUrl}", "destination": "${sso.acsUrl}", "nameIdentifierFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "signatureAlgorithm": "rsa-sha256", "digestAlgorithm": "sha256"`}</code>
          </li>
          <li>Auth0 signs with SHA-1 by default, which we refuse: the two SHA-256 settings above are required.</li>
          <li>Usage tab: send us the Identity Provider Login URL and the certificate (or the metadata URL).</li>
        </ol>
      </details>
      <details class="steps">
        <summary>Google Workspace</summary>
        <ol>
          <li>
            Apps → Web and mobile apps → Add custom SAML app. ACS URL and Entity ID: the values above; Start URL: Default RelayState; Name
            ID format EMAIL, Name ID Basic Information → Primary email.
          </li>
          <li>
            Turn User access on for the organisational units that should sign in; otherwise Google shows "app_not_configured_for_user" and
            nothing reaches us.
          </li>
        </ol>
      </details>

      {p.sections}

      <h2>Recent problems</h2>
      {p.failures.length === 0 ? <p class="muted">No failed sign-ins recently.</p> : <SsoEventTable events={p.failures} />}
    </Layout>
  );
}
