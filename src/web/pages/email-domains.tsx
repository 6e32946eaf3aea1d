import type { VNode } from "preact";
import { Alert, Layout } from "../render.js";
import { SettingsCrumbs } from "./settings-crumbs.js";

/** The Email domains section of the Single sign-on page: the clinic's locked domains and the way to change them. */
export function EmailDomainsSection({ domains }: { domains: string[] }): VNode {
  return (
    <section aria-labelledby="email-domains-heading">
      <h2 id="email-domains-heading">Email domains</h2>
      {domains.length === 0 ? (
        <p class="muted">Any domain: single sign-on accepts every email address your IdP sends.</p>
      ) : (
        <p>
          Single sign-on accepts only addresses at <strong>{domains.map((d) => `@${d}`).join(", ")}</strong>, and just-in-time provisioning
          creates no one outside them.
        </p>
      )}
      <a class="button secondary" href="/settings/sso/email-domains">
        {domains.length === 0 ? "Lock to your email domains" : "Change email domains"}
      </a>
    </section>
  );
}

export interface EmailDomainsPageProps {
  clinicName: string;
  userName: string;
  csrfToken: string;
  /** What the field holds: the saved domains, or the admin's own typing after a refusal. */
  value: string;
  error?: string | undefined;
}

/** /settings/sso/email-domains: the list of domains, one a line. */
export function EmailDomainsPage(p: EmailDomainsPageProps): VNode {
  return (
    <Layout title="Email domains" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <SettingsCrumbs current="Email domains" />
      <h1>Email domains</h1>
      <p>
        List your clinic's email domains to lock single sign-on to them: your IdP's sign-ins for any other address are refused with a clear
        reason, just-in-time provisioning never creates anyone outside them, and no other clinic on this service can claim them. People at
        these domains who sign in with a password on the main site are pointed to your clinic's sign-in page.
      </p>
      {p.error && <Alert kind="error">{p.error}</Alert>}
      <form method="post" action="/settings/sso/email-domains" novalidate>
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <label for="domains">Domains, one a line (empty: not locked)</label>
        <textarea
          id="domains"
          name="domains"
          rows={5}
          autocapitalize="none"
          spellcheck={false}
          aria-describedby="domains-help"
          aria-invalid={p.error ? "true" : undefined}
        >
          {p.value}
        </textarea>
        <p id="domains-help" class="small muted">
          For example <code>lakeside-clinic.org</code>. Your organisation's own domains only: a public mailbox provider such as gmail.com,
          or a suffix such as co.uk, cannot be locked. A domain another clinic has locked needs support to move it.
        </p>
        <button type="submit">Save email domains</button>
      </form>
    </Layout>
  );
}
