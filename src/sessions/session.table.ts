import type { AuthMethod } from "./auth-method.js";

export interface SessionTable {
  /** SHA-256 of the cookie token: a database leak gives no usable session. */
  id: string;
  user_id: string;
  /** The clinic whose host the session belongs to; null for the main site. */
  clinic_id: string | null;
  auth_method: AuthMethod;
  /** "settings": a break-glass session that opens only the clinic settings pages. */
  scope: "full" | "settings";
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface EndedSessionTable {
  /** The ended session's id (SHA-256 of its token). */
  id: string;
  reason: "removed";
  ended_at: string;
}
