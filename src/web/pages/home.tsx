import type { VNode } from "preact";
import { Alert, Layout } from "../render.js";

/** The main site's home page; `demo` is set while the demo clinic and the demo identity provider run. */
export function HomePage(p: { demo?: { clinicName: string; signInUrl: string } | undefined }): VNode {
  return (
    <Layout title="Welcome">
      <h1>ClinicRooms</h1>
      <p>Secure waiting rooms and video visits for telehealth clinics.</p>
      <p>
        Each clinic has its own address, where its staff sign in, often with their clinic's single sign-on. Patients need no account: they
        open their provider's room link.
      </p>
      <a class="button" href="/sign-in">
        Sign in with email and password
      </a>
      {p.demo && (
        <Alert kind="info">
          <strong>Trying the demo?</strong> Open the <a href={p.demo.signInUrl}>{p.demo.clinicName} sign-in page</a> and press{" "}
          <em>Sign in with SSO</em>, or start from the <a href="/demo-idp/apps">demo identity provider's apps</a>.
        </Alert>
      )}
    </Layout>
  );
}
