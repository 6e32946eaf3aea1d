export interface UserTable {
  id: string;
  /** Always lower case. */
  email: string;
  name: string;
  password_hash: string | null;
  created_at: string;
}

export interface MembershipTable {
  id: string;
  /** Unique: a user belongs to at most one clinic. */
  user_id: string;
  clinic_id: string;
  role: "admin" | "provider";
  status: "active" | "invited" | "deactivated";
  created_at: string;
  last_sign_in_at: string | null;
  last_sign_in_method: string | null;
  /** While removed: what the person was before ("active" or "invited"), so a restore gives back no more than that. */
  status_before_removal?: "active" | "invited" | null;
}
