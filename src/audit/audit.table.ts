export interface AuditEventTable {
  id: string;
  at: string;
  /** "operator", "system", or a user id. */
  actor: string;
  clinic_id: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  outcome: "success" | "failure";
  /** JSON object with non-secret details. */
  detail: string;
}
