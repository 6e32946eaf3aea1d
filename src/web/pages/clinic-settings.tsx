import type { VNode } from "preact";
import { Layout } from "../render.js";

/** Clinic settings: the admin's index of what can be set for the whole clinic. */
export function ClinicSettingsPage(p: { clinicName: string; userName: string; csrfToken: string }): VNode {
  return (
    <Layout title="Clinic settings" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/dashboard">Dashboard</a> → <span aria-current="page">Clinic settings</span>
      </nav>
      <h1>Clinic settings</h1>
      <ul>
        <li>
          <a href="/settings/users">Manage Users</a>: seats, invitations, roles, removing and restoring people
        </li>
        <li>
          <a href="/settings/sso">Single sign-on</a>: connect your identity provider (Okta, Entra ID, Auth0, Google), just-in-time
          provisioning and enforcement
        </li>
      </ul>
    </Layout>
  );
}
