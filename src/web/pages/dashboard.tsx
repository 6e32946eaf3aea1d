import type { VNode } from "preact";
import type { StoredNotification } from "../../notifications/notification.queries.js";
import type { WaitingPatient } from "../../waiting-room/waiting-room.js";
import { Layout, LocalTime } from "../render.js";
import { NotificationBanners } from "./notification-banners.js";

export interface DashboardPageProps {
  clinicName: string;
  userName: string;
  email: string;
  role: "admin" | "provider";
  roomUrl: string;
  isAdmin: boolean;
  /** Who is in the provider's waiting room now (waiting, or admitted into the visit). */
  waiting: WaitingPatient[];
  csrfToken: string;
  /** Open notices for the clinic's admins (empty for providers). */
  notices: StoredNotification[];
}

/** One admit/dismiss button; public/dashboard.js builds the same form when it refreshes the list. */
function DecisionForm(p: { csrfToken: string; id: string; decision: "admit" | "dismiss"; label: string; name: string }): VNode {
  return (
    <form method="post" action={`/waiting-room/${p.decision}`}>
      <input type="hidden" name="_csrf" value={p.csrfToken} />
      <input type="hidden" name="patient" value={p.id} />
      <button type="submit" class={p.decision === "admit" ? undefined : "secondary"} aria-label={`${p.label} ${p.name}`}>
        {p.label}
      </button>
    </form>
  );
}

/** The provider's live view of their waiting room; public/dashboard.js refreshes it every few seconds. */
export function WaitingList({ waiting, csrfToken }: { waiting: WaitingPatient[]; csrfToken: string }): VNode {
  return (
    <div id="waiting-room" aria-live="polite" data-version={waiting.map((w) => `${w.id}:${w.status}`).join(",")}>
      {waiting.length === 0 ? (
        <p class="muted" id="waiting-empty">
          Nobody is waiting. Patients who open your room link appear here at once.
        </p>
      ) : (
        <ul class="waiting-list">
          {waiting.map((w) => (
            <li data-patient={w.id} data-status={w.status}>
              <span>
                <strong>{w.name}</strong>{" "}
                <span class="small muted">
                  {w.status === "admitted" ? "in your visit" : "waiting"} · joined <LocalTime iso={w.joinedAt} />
                </span>
              </span>
              <span>
                {w.status === "waiting" && <DecisionForm csrfToken={csrfToken} id={w.id} decision="admit" label="Admit" name={w.name} />}
                <DecisionForm
                  csrfToken={csrfToken}
                  id={w.id}
                  decision="dismiss"
                  label={w.status === "admitted" ? "End visit" : "Dismiss"}
                  name={w.name}
                />
              </span>
              {w.status === "admitted" && <div class="visit-placeholder">Your video visit with {w.name} would appear here.</div>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function DashboardPage(p: DashboardPageProps): VNode {
  return (
    <Layout title="Dashboard" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <h1>Welcome, {p.userName}</h1>
      <p class="muted">
        {p.clinicName} · signed in as {p.email} ({p.role})
      </p>
      {p.isAdmin && <NotificationBanners notices={p.notices} csrfToken={p.csrfToken} page="/dashboard" />}
      <h2>Your room</h2>
      <div class="copy-row">
        <a id="room-url" href={p.roomUrl} target="_blank" rel="noopener">
          {p.roomUrl}
        </a>
        <button type="button" class="secondary" data-copy="room-url" aria-label="Copy your room link">
          Copy
        </button>
      </div>
      <p class="small muted">Share your room link with patients: they give their name and wait there until you let them in.</p>
      <h2>Waiting room</h2>
      <WaitingList waiting={p.waiting} csrfToken={p.csrfToken} />
      <script src="/assets/dashboard.js" defer />
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
