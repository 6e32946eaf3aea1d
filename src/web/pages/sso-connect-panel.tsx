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
  /** The trusted certificates: the current one first, then the staged next one. */
  certificates: Array<{ subject: string; fingerprintSha256: string; notAfter: string }>;
  stageError?: string | undefined;
}

/** After the IdP switched: remove the old certificate (the next becomes current), or a next one staged by mistake. */
function RemoveCertificateForms(p: Pick<SsoConnectPanelProps, "csrfToken" | "certificates">): VNode {
  const [current, next] = p.certificates;
  if (!current || !next) return <></>;
  return (
    <div class="card">
      <h4>After your identity provider has switched</h4>
      <p class="small muted">
        Once your identity provider signs with the next certificate (a rehearsal passes and people sign in), remove the old one so it is no
        longer trusted. If it still signs with the old certificate, removing it stops every sign-in.
      </p>
      <div class="actions">
        <form method="post" action="/settings/sso/remove-certificate">
          <input type="hidden" name="_csrf" value={p.csrfToken} />
          <input type="hidden" name="fingerprint" value={current.fingerprintSha256} />
          <button type="submit">Remove the old certificate, make the next one current</button>
        </form>
        <form method="post" action="/settings/sso/remove-certificate">
          <input type="hidden" name="_csrf" value={p.csrfToken} />
          <input type="hidden" name="fingerprint" value={next.fingerprintSha256} />
          <button type="submit" class="secondary">
            Remove the next certificate
          </button>
        </form>
      </div>
    </div>
  );
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
      <RemoveCertificateForms csrfToken={p.csrfToken} certificates={p.certificates} />
      <form method="post" action="/settings/sso/next-certificate" class="card" enctype="multipart/form-data">
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <label for="next-certificate-file">{p.nextStaged ? "Replace the next certificate: its file" : "Next certificate file"}</label>
        <p class="small muted" id="next-certificate-file-hint">
          The .cer, .cert or .pem file your identity provider offers (PEM or binary DER), up to 20 KB. Never a .pfx or .p12: those hold the
          private key.
        </p>
        <input
          type="file"
          id="next-certificate-file"
          name="certificateFile"
          accept=".cer,.cert,.crt,.pem,.der,.txt"
          aria-describedby="next-certificate-file-hint"
        />
        <label for="next-certificate">Or paste it</label>
        <p class="small muted" id="next-certificate-hint">
          PEM, the contents of a .cer/.cert file, or bare base64.
        </p>
        <textarea
          id="next-certificate"
          name="certificate"
          rows={4}
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
