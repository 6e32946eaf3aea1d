export interface ScimTokenTable {
  id: string;
  clinic_id: string;
  /** SHA-256 of the token; the token itself is shown once and never stored. */
  token_hash: string;
  created_at: string;
  /** The audit actor who generated it: a user id or "operator". */
  created_by: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface ScimMemberTable {
  user_id: string;
  clinic_id: string;
  /** The IdP's userName, lower case (SCIM compares it case-insensitively). */
  user_name: string;
  external_id: string | null;
  /** The name parts as the IdP sent them (the account keeps one full name); returned so the IdP sees no drift. */
  given_name: string | null;
  family_name: string | null;
  created_at: string;
  /** Set by a SCIM DELETE: the resource is gone for the IdP (404), the membership removed, the row kept for history. */
  deleted_at: string | null;
}

export interface ScimGroupTable {
  id: string;
  clinic_id: string;
  display_name: string;
  external_id: string | null;
  created_at: string;
}

export interface ScimGroupMemberTable {
  group_id: string;
  user_id: string;
}

export interface ScimSettingsTable {
  clinic_id: string;
  admin_group: string | null;
}

export interface ScimRequestTable {
  id: string;
  clinic_id: string;
  token_id: string | null;
  at: string;
  method: string;
  path: string;
  status: number;
  outcome: string;
}
