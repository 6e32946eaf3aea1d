import type { VNode } from "preact";
import { Layout } from "../render.js";

export interface DashboardPageProps {
  clinicName: string;
  userName: string;
  email: string;
  role: "admin" | "provider";
  roomUrl: string;
  isAdmin: boolean;
  csrfToken: string;
}

export function DashboardPage(p: DashboardPageProps): VNode {
  return (
    <Layout title="Dashboard" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <h1>Welcome, {p.userName}</h1>
      <p class="muted">
        {p.clinicName} · signed in as {p.email} ({p.role})
      </p>
      <h2>Your room</h2>
      <div class="copy-row">
        <a id="room-url" href={p.roomUrl} target="_blank" rel="noopener">
          {p.roomUrl}
        </a>
        <button type="button" class="secondary" data-copy="room-url" aria-label="Copy your room link">
          Copy
        </button>
      </div>
      <p class="small muted">Share your room link with patients: they wait there until you start the visit.</p>
      {p.isAdmin && (
        <>
          <h2>
            <a href="/settings">Clinic settings</a>
          </h2>
          <ul>
            <li>
              <a href="/settings/users">Manage Users</a>: seats, invitations, removing and restoring people
            </li>
            <li>
              <a href="/settings/sso">Single sign-on</a>: connect your identity provider (Okta, Entra ID, Auth0)
            </li>
          </ul>
        </>
      )}
    </Layout>
  );
}
