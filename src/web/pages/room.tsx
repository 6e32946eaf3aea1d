import type { VNode } from "preact";
import type { WaitingPatient } from "../../waiting-room/waiting-room.js";
import { Alert, Layout } from "../render.js";

export interface RoomPageProps {
  providerName: string;
  clinicName: string;
  roomName: string;
  csrfToken: string;
  /** This browser's own entry, if it joined. */
  entry: WaitingPatient | null;
  /** What was typed, and why it was refused. */
  form?: { name: string; error: string } | undefined;
}

/** A provider's waiting room as the patient sees it: a name to give, then where they are in the visit. */
export function RoomPage(p: RoomPageProps): VNode {
  const title = `${p.providerName}'s waiting room`;
  const status = p.entry?.status ?? "none";
  return (
    <Layout title={title} brand={p.clinicName} brandHref={null}>
      <h1>{title}</h1>
      <div id="visit-state" data-status={status} data-status-url={`/${p.roomName}/status`}>
        {(status === "none" || status === "left") && <JoinForm {...p} />}
        {status === "waiting" && (
          <>
            <Alert kind="success">
              You are in the waiting room, {p.entry!.name}. {p.providerName} can see that you are here and will let you in shortly.
            </Alert>
            <p>Keep this page open: it updates by itself when your visit starts.</p>
            <LeaveForm {...p} />
          </>
        )}
        {status === "admitted" && (
          <>
            <Alert kind="success">{p.providerName} has let you in. Your visit is starting.</Alert>
            <div class="visit-placeholder" role="img" aria-label="Where the video visit would appear">
              The video visit with {p.providerName} would appear here.
            </div>
            <LeaveForm {...p} label="Leave the visit" />
          </>
        )}
        {status === "dismissed" && (
          <>
            <Alert kind="info">{p.providerName} has closed your visit. Thank you for waiting.</Alert>
            <p>If you still need to be seen, you can join the waiting room again.</p>
            <JoinForm {...p} />
          </>
        )}
      </div>
      <noscript>
        <p class="small muted">
          This page updates by itself when JavaScript is on. Without it, <a href={`/${p.roomName}`}>reload the page</a> to see whether your
          visit has started.
        </p>
      </noscript>
      <script src="/assets/room.js" defer />
    </Layout>
  );
}

function JoinForm(p: RoomPageProps): VNode {
  return (
    <form method="post" action={`/${p.roomName}/join`} novalidate>
      <input type="hidden" name="_csrf" value={p.csrfToken} />
      <p>Welcome. Tell {p.providerName} who is waiting. You do not need an account.</p>
      <label for="patient-name">Your name</label>
      <input
        id="patient-name"
        name="name"
        type="text"
        autocomplete="name"
        maxlength={60}
        required
        value={p.form?.name ?? ""}
        aria-invalid={p.form ? "true" : undefined}
        aria-describedby={p.form ? "patient-name-error" : undefined}
        autofocus={p.form ? true : undefined}
      />
      {p.form && (
        <p id="patient-name-error" class="small alert alert-error">
          {p.form.error}
        </p>
      )}
      <button type="submit">Join the waiting room</button>
    </form>
  );
}

function LeaveForm(p: RoomPageProps & { label?: string }): VNode {
  return (
    <form method="post" action={`/${p.roomName}/leave`}>
      <input type="hidden" name="_csrf" value={p.csrfToken} />
      <button type="submit" class="secondary">
        {p.label ?? "Leave the waiting room"}
      </button>
    </form>
  );
}
