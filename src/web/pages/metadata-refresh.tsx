import type { VNode } from "preact";
import type { TrustedCertificate } from "../../sso/saml/certificates.js";
import type { MetadataChange, MetadataCheck } from "../../sso/saml/metadata-change.queries.js";
import { compareIdpSettings } from "../../sso/saml/metadata-diff.js";
import { LocalTime } from "../render.js";

/** A connection configured from a metadata URL: when it was last checked, and a change waiting for a decision. */
export interface MetadataRefreshView {
  metadataUrl: string;
  lastCheck: MetadataCheck | null;
  pending: MetadataChange | null;
}

function Certificate({ c }: { c: TrustedCertificate }): VNode {
  return (
    <>
      {c.subject}
      <br />
      <span class="small">
        SHA-256 <span class="fingerprint">{c.fingerprintSha256}</span> · expires <LocalTime iso={c.notAfter} dateOnly />
      </span>
    </>
  );
}

function LastCheck({ check }: { check: MetadataCheck | null }): VNode {
  if (!check) return <p class="small muted">Checked once a day; not checked yet.</p>;
  const said =
    check.outcome === "failed"
      ? `could not be read: ${check.problem ?? "unknown problem"}. Your connection is unchanged.`
      : check.outcome === "changed"
        ? "it differs from your connection (below)."
        : "it matches your connection.";
  return (
    <p class="small" id="metadata-last-check" data-outcome={check.outcome}>
      Checked once a day. Last checked <LocalTime iso={check.checkedAt} />: {said}
    </p>
  );
}

function Decision(p: { csrfToken: string; changeId: string; decision: "approve" | "reject"; label: string }): VNode {
  return (
    <form method="post" action={`/settings/sso/metadata/${p.decision}`} class="inline">
      <input type="hidden" name="_csrf" value={p.csrfToken} />
      <input type="hidden" name="change" value={p.changeId} />
      <button type="submit" class={p.decision === "approve" ? undefined : "secondary"}>
        {p.label}
      </button>
    </form>
  );
}

/** The metadata URL's daily check, "Check now", and a pending change shown as a diff to approve or reject. */
export function MetadataRefreshSection({ view, csrfToken }: { view: MetadataRefreshView; csrfToken: string }): VNode {
  const change = view.pending;
  const diff = change ? compareIdpSettings(change.before, change.after) : null;
  return (
    <section id="metadata-refresh" aria-labelledby="metadata-refresh-title">
      <h2 id="metadata-refresh-title">IdP metadata</h2>
      <p>
        Your connection was set up from <code>{view.metadataUrl}</code>. We fetch it again every day and show you any change here: nothing
        changes until an admin approves it.
      </p>
      <LastCheck check={view.lastCheck} />
      <form method="post" action="/settings/sso/metadata/check">
        <input type="hidden" name="_csrf" value={csrfToken} />
        <button type="submit" class="secondary">
          Check now
        </button>
      </form>
      {change && diff && (
        <div id="metadata-change" class="alert alert-info">
          <strong>The metadata changed</strong> (found <LocalTime iso={change.foundAt} />
          ). Compare it with your IdP's admin console, then approve or reject it. Until then, sign-in keeps using your connection as it is.
          <table class="diff">
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col">Now</th>
                <th scope="col">The metadata says</th>
              </tr>
            </thead>
            <tbody>
              {diff.entityId && (
                <tr data-diff="entity-id">
                  <th scope="row">Entity ID</th>
                  <td>{diff.entityId.before}</td>
                  <td>{diff.entityId.after}</td>
                </tr>
              )}
              {diff.ssoUrl && (
                <tr data-diff="sso-url">
                  <th scope="row">SSO URL</th>
                  <td>{diff.ssoUrl.before}</td>
                  <td>{diff.ssoUrl.after}</td>
                </tr>
              )}
              {diff.binding && (
                <tr data-diff="binding">
                  <th scope="row">SSO binding</th>
                  <td>{diff.binding.before}</td>
                  <td>{diff.binding.after}</td>
                </tr>
              )}
              {diff.certificatesAdded.map((c) => (
                <tr data-diff="certificate-added">
                  <th scope="row">Certificate added</th>
                  <td>not trusted</td>
                  <td>
                    <Certificate c={c} />
                  </td>
                </tr>
              ))}
              {diff.certificatesRemoved.map((c) => (
                <tr data-diff="certificate-removed">
                  <th scope="row">Certificate removed</th>
                  <td>
                    <Certificate c={c} />
                  </td>
                  <td>no longer trusted</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Decision csrfToken={csrfToken} changeId={change.id} decision="approve" label="Approve and apply" />{" "}
          <Decision csrfToken={csrfToken} changeId={change.id} decision="reject" label="Reject" />
        </div>
      )}
    </section>
  );
}
