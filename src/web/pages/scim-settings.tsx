import type { VNode } from "preact";
import type { ScimRequestRecord } from "../../provisioning/scim/scim-requests.js";
import type { ScimToken } from "../../provisioning/scim/scim-tokens.js";
import { Alert, Layout, LocalTime } from "../render.js";
import { CopyValue } from "./copy-value.js";
import { SettingsCrumbs } from "./settings-crumbs.js";

export interface ScimSectionProps {
  baseUrl: string;
  tokens: ScimToken[];
  adminGroup: string | null;
  requests: ScimRequestRecord[];
  csrfToken: string;
}

/** The SCIM provisioning section of the Single sign-on page: the base URL, tokens, the admin group, recent requests. */
export function ScimSection(p: ScimSectionProps): VNode {
  return (
    <section aria-labelledby="scim-heading" id="scim">
      <h2 id="scim-heading">Automatic provisioning (SCIM)</h2>
      <p>
        Let Okta or Microsoft Entra ID add, update and remove your people here: someone unassigned in your identity provider is removed at
        once (their seat is freed and they are signed out everywhere), exactly as Remove in Manage Users does.
      </p>
      <CopyValue id="scim-base-url" label="SCIM base URL (Okta: SCIM connector base URL; Entra ID: Tenant URL)" value={p.baseUrl} />
      <h3>Tokens</h3>
      {p.tokens.length === 0 ? (
        <p class="muted">No token yet: generate one and paste it into your identity provider as its API token (secret token).</p>
      ) : (
        <table class="stacked" id="scim-tokens">
          <thead>
            <tr>
              <th>Created</th>
              <th>Last used</th>
              <th>Action</th>
            </tr>
          </thead>
          <tbody>
            {p.tokens.map((token) => (
              <tr data-token-id={token.id}>
                <td data-label="Created">
                  <LocalTime iso={token.createdAt} />
                </td>
                <td data-label="Last used">{token.lastUsedAt ? <LocalTime iso={token.lastUsedAt} /> : "never"}</td>
                <td>
                  <form method="post" action={`/settings/sso/scim/tokens/${token.id}/revoke`}>
                    <input type="hidden" name="_csrf" value={p.csrfToken} />
                    <button type="submit" class="secondary">
                      Revoke
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form method="post" action="/settings/sso/scim/tokens">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <button type="submit" class="secondary">
          Generate a SCIM token
        </button>
      </form>
      <h3>Admin group</h3>
      <form method="post" action="/settings/sso/scim/admin-group">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <label for="scim-admin-group">
          Members of this pushed group are admins, everyone else a provider (empty: groups change no role)
        </label>
        <input type="text" id="scim-admin-group" name="adminGroup" maxLength={256} value={p.adminGroup ?? ""} />
        <button type="submit" class="secondary">
          Save admin group
        </button>
      </form>
      <h3>Last SCIM requests</h3>
      {p.requests.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <table class="stacked" id="scim-requests">
          <thead>
            <tr>
              <th>When</th>
              <th>Request</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {p.requests.map((r) => (
              <tr>
                <td data-label="When">
                  <LocalTime iso={r.at} />
                </td>
                <td data-label="Request">
                  <code>
                    {r.method} {r.path}
                  </code>
                </td>
                <td data-label="Outcome">
                  {r.status} {r.outcome}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The one time a new SCIM token is shown. */
export function ScimTokenShownPage(p: { clinicName: string; userName: string; csrfToken: string; token: string; baseUrl: string }): VNode {
  return (
    <Layout title="Your new SCIM token" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <SettingsCrumbs current="SCIM token" />
      <h1>Your new SCIM token</h1>
      <Alert kind="info">
        Copy it into your identity provider now: it is shown only this once. Your other tokens keep working until you revoke them, so you
        can switch your identity provider over first.
      </Alert>
      <CopyValue id="scim-token" label="SCIM token (Okta: API Token; Entra ID: Secret Token)" value={p.token} />
      <CopyValue id="scim-base-url" label="SCIM base URL" value={p.baseUrl} />
      <a class="button" href="/settings/sso#scim">
        I have copied it
      </a>
    </Layout>
  );
}
