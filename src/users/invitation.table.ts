export interface InvitationTable {
  /** SHA-256 (hex) of the link's token: the token itself is never stored, so a database leak opens no account. */
  token_hash: string;
  /** Unique: one invitation per person at a time; resending replaces it. */
  user_id: string;
  clinic_id: string;
  created_at: string;
  expires_at: string;
  accepted_at: string | null;
}
