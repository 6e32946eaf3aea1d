export interface WaitingPatientTable {
  id: string;
  room_id: string;
  /** SHA-256 of the token in the patient's cookie: only that browser can see or leave this entry. */
  token_hash: string;
  name: string;
  status: "waiting" | "admitted" | "dismissed" | "left";
  joined_at: string;
  last_seen_at: string;
  updated_at: string;
}
