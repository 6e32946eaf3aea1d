import type { VNode } from "preact";
import { Layout } from "../render.js";

export interface DashboardPageProps {
  clinicName: string;
  userName: string;
  email: string;
  role: "admin" | "provider";
  roomUrl: string | null;
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
      {p.roomUrl ? (
        <div class="copy-row">
          <code id="room-url">{p.roomUrl}</code>
          <button type="button" class="secondary" data-copy="room-url">
            Copy
          </button>
        </div>
      ) : (
        <p>You have no room yet.</p>
      )}
      <p class="small muted">Share your room link with patients: they wait there until you start the visit.</p>
    </Layout>
  );
}
