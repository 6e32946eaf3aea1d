import type { AuditEventTable } from "../audit/audit.table.js";
import type { ClinicTable } from "../clinics/clinic.table.js";
import type { ClinicEmailDomainTable } from "../clinics/email-domain.table.js";
import type { RoomTable } from "../rooms/room.table.js";
import type { SamlAssertionSeenTable, SamlConnectionTable, SamlRequestTable, SsoEventTable } from "../sso/saml/connection.table.js";
import type { DemoIdpKeyTable } from "../demo/demo-idp.table.js";
import type { SessionFlashTable } from "../sessions/flash.table.js";
import type { EndedSessionTable, SessionTable } from "../sessions/session.table.js";
import type { SettingsHandoffTable } from "../sessions/settings-handoff.table.js";
import type { RecoveryCodeTable } from "../users/recovery-code.table.js";
import type { SignInFailureTable } from "../sign-in/sign-in-failure.table.js";
import type { WaitingPatientTable } from "../waiting-room/waiting-patient.table.js";
import type { InvitationTable } from "../users/invitation.table.js";
import type { MembershipTable, UserTable } from "../users/user.table.js";
import type { NotificationTable } from "../notifications/notification.table.js";
import type {
  ScimGroupMemberTable,
  ScimGroupTable,
  ScimMemberTable,
  ScimRequestTable,
  ScimSettingsTable,
  ScimTokenTable,
} from "../provisioning/scim/scim.table.js";
import type { SamlCertificateWarningTable, SamlMetadataChangeTable, SamlMetadataCheckTable } from "../sso/saml/metadata-change.table.js";

export interface Database {
  clinics: ClinicTable;
  users: UserTable;
  memberships: MembershipTable;
  rooms: RoomTable;
  sessions: SessionTable;
  audit_events: AuditEventTable;
  saml_connections: SamlConnectionTable;
  saml_requests: SamlRequestTable;
  saml_assertions_seen: SamlAssertionSeenTable;
  sso_events: SsoEventTable;
  demo_idp_keys: DemoIdpKeyTable;
  invitations: InvitationTable;
  session_flashes: SessionFlashTable;
  sign_in_failures: SignInFailureTable;
  waiting_patients: WaitingPatientTable;
  ended_sessions: EndedSessionTable;
  notifications: NotificationTable;
  saml_metadata_changes: SamlMetadataChangeTable;
  saml_metadata_checks: SamlMetadataCheckTable;
  saml_certificate_warnings: SamlCertificateWarningTable;
  clinic_email_domains: ClinicEmailDomainTable;
  recovery_codes: RecoveryCodeTable;
  settings_handoffs: SettingsHandoffTable;
  scim_tokens: ScimTokenTable;
  scim_members: ScimMemberTable;
  scim_groups: ScimGroupTable;
  scim_group_members: ScimGroupMemberTable;
  scim_settings: ScimSettingsTable;
  scim_requests: ScimRequestTable;
}
