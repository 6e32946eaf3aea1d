import type { AuditEventTable } from "../audit/audit.table.js";
import type { ClinicTable } from "../clinics/clinic.table.js";
import type { RoomTable } from "../rooms/room.table.js";
import type { SessionTable } from "../sessions/session.table.js";
import type { MembershipTable, UserTable } from "../users/user.table.js";

export interface Database {
  clinics: ClinicTable;
  users: UserTable;
  memberships: MembershipTable;
  rooms: RoomTable;
  sessions: SessionTable;
  audit_events: AuditEventTable;
}
