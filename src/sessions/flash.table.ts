/** One notice waiting for the next page a session renders (a "flash"); the page consumes it. */
export interface SessionFlashTable {
  /** The session's id (the SHA-256 of its cookie token); the row goes with the session. */
  session_id: string;
  /** JSON of the notice: a code and its values, never text the next page would trust from a URL. */
  notice: string;
  created_at: string;
}
