import type { VNode } from "preact";
import { Layout } from "../render.js";

export interface WelcomePageProps {
  clinicName: string;
  userName: string;
  csrfToken: string;
  /** The main site's origin: rooms live at ROOM_BASE/NAME. */
  roomBase: string;
  /** What the field holds: the suggestion on first view, the person's own typing after a refusal. */
  value: string;
  /** Why the typed name was refused, completing a sentence about it ("is taken"). */
  error?: string | undefined;
}

/** The sentence a refusal is shown as, e.g. "“ab” must be at least 3 characters." (public/welcome.js writes the same). */
export function roomNameSentence(typed: string, reason: string): string {
  return typed.trim() ? `“${typed.trim()}” ${reason}.` : `The room name ${reason}.`;
}

export function WelcomePage(p: WelcomePageProps): VNode {
  const typed = p.value.trim().toLowerCase();
  // Only a name that could be a room is shown as a link (public/welcome.js does the same as you type).
  const preview = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/.test(typed) ? typed : "";
  return (
    <Layout title="Finish setting up your account" brand={p.clinicName} signedInAs={{ name: p.userName, csrfToken: p.csrfToken }}>
      <h1>Finish setting up your account</h1>
      <p>
        Welcome, {p.userName}. Choose your room name: patients will join you at <strong>{p.roomBase}/&lt;name&gt;</strong>.
      </p>
      <form method="post" action="/welcome" novalidate>
        <input type="hidden" name="_csrf" value={p.csrfToken} />
        <label for="room-name">Room name</label>
        <input
          id="room-name"
          name="roomName"
          type="text"
          value={p.value}
          required
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          aria-describedby="room-name-rules room-name-status"
          aria-invalid={p.error ? "true" : undefined}
          // Put the person back on the field that needs fixing; a screen reader then reads the reason with it.
          autofocus={p.error ? true : undefined}
        />
        <div id="room-name-status" aria-live="polite" class={p.error ? "alert alert-error" : "small"}>
          {p.error ? roomNameSentence(p.value, p.error) : ""}
        </div>
        <p class="small">
          Your room link: <code id="room-url-preview" data-base={p.roomBase}>{`${p.roomBase}/${preview || "your-name"}`}</code>
        </p>
        <div id="room-name-rules" class="small muted">
          <p>A room name:</p>
          <ul>
            <li>is 3 to 40 characters long;</li>
            <li>uses only letters, digits and hyphens (capitals become lower case);</li>
            <li>does not start or end with a hyphen;</li>
            <li>is not a word the site uses itself, such as “dashboard” or “sign-in”.</li>
          </ul>
        </div>
        <button type="submit">Save and go to the dashboard</button>
      </form>
      <script src="/assets/welcome.js" defer />
    </Layout>
  );
}
