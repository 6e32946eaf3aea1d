import type { VNode } from "preact";

export interface SsoConnectPanelProps {
  csrfToken: string;
  configured: boolean;
  enabled: boolean;
  /** A test sign-in passed with the settings as they are now. */
  tested: boolean;
  presetLabel: string | null;
  /** Whether a next certificate is staged (the second slot). */
  nextStaged: boolean;
  stageError?: string | undefined;
}

/** On the single sign-on page: connect or change the IdP, test it, turn it on, and the rollover's next certificate. */
export function SsoConnectPanel(p: SsoConnectPanelProps): VNode {
  if (!p.configured) {
    return (
      <p>
        <a class="button" href="/settings/sso/connect">
          Connect your identity provider
        </a>
      </p>
    );
  }
  const enableWaits = !p.enabled && !p.tested;
  return (
    <section aria-labelledby="try-heading">
      <h2 id="try-heading">Test and turn on</h2>
      <p class="small muted">
        A test sign-in goes to {p.presetLabel ?? "your identity provider"} and back like a real one, but signs nobody in and changes
        nothing. It works while single sign-on is off: that is how you prove the connection before anyone depends on it.
      </p>
      <div class="actions">
        <form method="post" action="/settings/sso/test">
          <input type="hidden" name="_csrf" value={p.csrfToken} />
          <input type="hidden" name="certificates" value="current" />
          <button type="submit">Test sign-in</button>
        </form>
        {p.nextStaged && (
          <form method="post" action="/settings/sso/test">
            <input type="hidden" name="_csrf" value={p.csrfToken} />
            <input type="hidden" name="certificates" value="next" />
            <button type="submit" class="secondary">
              Rehearse with the next certificate only
            </button>
          </form>
        )}
        <a class="button secondary" href="/settings/sso/connect">
          Change the identity provider
        </a>
      </div>
      <form method="post" action="/settings/sso/enabled" class="toggle-row">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <input type="hidden" name="value" value={p.enabled ? "off" : "on"} />
        <div>
          <strong>Single sign-on</strong> <span class={`badge ${p.enabled ? "badge-ok" : "badge-off"}`}>{p.enabled ? "On" : "Off"}</span>
          <div class="small muted">When on, the clinic sign-in page offers "Sign in with SSO".</div>
          {enableWaits && <div class="small">Available after a test sign-in passes with the settings as they are now.</div>}
        </div>
        <button type="submit" class="secondary" disabled={enableWaits}>
          {p.enabled ? "Turn off" : "Turn on"}
        </button>
      </form>
      <h3>Certificate rollover</h3>
      <p class="small muted">
        When your IdP announces a new signing certificate, stage it here as the next certificate: both are trusted, so sign-in keeps working
        when the IdP switches. Then rehearse: a test sign-in that accepts only the next certificate.
      </p>
      <form method="post" action="/settings/sso/next-certificate" class="card">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <label for="next-certificate">{p.nextStaged ? "Replace the next certificate" : "Next certificate"}</label>
        <p class="small muted" id="next-certificate-hint">
          PEM, the contents of a .cer/.cert file, or bare base64.
        </p>
        <textarea
          id="next-certificate"
          name="certificate"
          rows={4}
          required
          aria-describedby={p.stageError ? "next-certificate-error" : "next-certificate-hint"}
          aria-invalid={p.stageError ? "true" : undefined}
        ></textarea>
        {p.stageError && (
          <p id="next-certificate-error" class="small alert-error" role="alert">
            {p.stageError}
          </p>
        )}
        <button type="submit" class="secondary">
          Stage the next certificate
        </button>
      </form>
      <p>
        <a href="/settings/sso/diagnose">Diagnose a captured response</a> · <a href="/settings/sso/events">Sign-in log</a>
      </p>
    </section>
  );
}
