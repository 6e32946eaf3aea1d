export interface SettingsHandoffTable {
  /** SHA-256 of the one-time token carried from the main site to the clinic host. */
  token_hash: string;
  user_id: string;
  clinic_id: string;
  expires_at: string;
  used_at: string | null;
}
