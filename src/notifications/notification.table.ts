import type { NotificationKind } from "./notification.js";

/** A notice for a clinic's admins, open until one of them dismisses it. */
export interface NotificationTable {
  id: string;
  clinic_id: string;
  kind: NotificationKind;
  /** Open notices with the same key are one notice; null for notices that are never folded. */
  dedupe_key: string | null;
  /** JSON of the ClinicNotification. */
  detail: string;
  /** The admin whose own action the notice reports; they do not see it. */
  actor_user_id: string | null;
  created_at: string;
  dismissed_at: string | null;
  dismissed_by: string | null;
}
