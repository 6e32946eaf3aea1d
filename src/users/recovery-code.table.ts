export interface RecoveryCodeTable {
  /** SHA-256 of the normalised code; the code itself is shown once and never stored. */
  code_hash: string;
  user_id: string;
  clinic_id: string;
  created_at: string;
  used_at: string | null;
}
