import type { FastifyReply } from "fastify";
import type { CreateClinicError } from "../clinics/clinic.queries.js";
import type { EmailDomainsRefusal } from "../clinics/email-domains.js";
import type { DemoPersonRefusal, DemoSsoRefusal } from "../demo/demo-idp-sign-in.js";
import type { InvitationRefusal } from "../sign-in/join-with-invitation.js";
import type { PasswordSignInError } from "../sign-in/sign-in-with-password.js";
import type { RecoverySignInRefusal } from "../sign-in/sign-in-with-recovery-code.js";
import type { ChangeFlagsError } from "../sso/saml/change-flags.js";
import type { MetadataDecisionError } from "../sso/saml/metadata-refresh.js";
import type { AddMemberError } from "../users/add-member.js";
import type { ManageMemberError } from "../users/manage-members.js";
import type { ScimErrorCode } from "../provisioning/scim/scim-result.js";
import type { JoinRefusal } from "../waiting-room/waiting-room.js";

// The one place a result becomes an HTTP status. Each family maps every code of a use case's result: a new
// code fails the type-check here until it has a status. Routes and problems.tsx look statuses up, never write them.

/** Refused before any use case runs: by the router, the body parser, the CSRF check, the rate limiter, or a fault. */
const REQUEST = {
  invalid_input: 400,
  // Any other refusal the framework raises: problems.tsx answers it with the framework's own 4xx status.
  bad_request: 400,
  malformed_request: 400,
  malformed_body: 400,
  bad_url: 400,
  form_expired: 403,
  not_found: 404,
  unknown_host: 404,
  clinic_not_found: 404,
  request_timeout: 408,
  body_too_large: 413,
  upload_refused: 413,
  upload_too_many_parts: 413,
  upload_malformed: 400,
  url_too_long: 414,
  unsupported_media_type: 415,
  rate_limited: 429,
  too_many_sign_ins_from_address: 429,
  too_many_sign_ins_to_clinic: 429,
  request_too_large: 431,
  internal_error: 500,
  // PostgreSQL restarting or unreachable, a SQLite write lock held too long: temporary, so "try again" (with Retry-After).
  database_unavailable: 503,
  // Every SAML verification worker is busy and the queue is full: temporary, so 503 with Retry-After.
  saml_verifier_busy: 503,
} as const;

/** Who is asking: the operator token, a session, an admin's role, a provider's room. */
const ACCESS = {
  unauthorized: 401,
  no_session: 401,
  signed_out: 401,
  admins_only: 403,
  // A break-glass session opens the settings pages only.
  settings_only_session: 403,
  // The main site's one-minute settings link, used, expired or never issued.
  handoff_not_valid: 403,
  no_room: 409,
} as const;

/** The load balancer's readiness probe: a check failed, so send traffic to another instance for now. */
const OPERATIONS = { not_ready: 503 } as const;

const CREATE_CLINIC = { subdomain_taken: 409 } as const satisfies Record<CreateClinicError, number>;

const ADD_MEMBER = { email_taken: 409, seat_limit_reached: 422, room_name_taken: 409 } as const satisfies Record<AddMemberError, number>;

const MANAGE_MEMBER = {
  member_not_found: 404,
  last_admin: 409,
  seat_limit_reached: 422,
  invitation_pending: 409,
  not_invited: 409,
  invalid_role: 400,
} as const satisfies Record<ManageMemberError | "not_invited" | "invalid_role", number>;

/** Opening or accepting an invitation link; a link that no longer works is gone for good (410). */
const INVITATION = {
  invitation_not_found: 404,
  invitation_used: 410,
  invitation_expired: 410,
  invitation_revoked: 410,
  sso_not_available: 400,
  invalid_password: 400,
} as const satisfies Record<InvitationRefusal["error"], number>;

const PASSWORD_SIGN_IN = {
  invalid_credentials: 401,
  too_many_attempts: 429,
  missing_credentials: 400,
  sso_enforced: 403,
} as const satisfies Record<PasswordSignInError | "missing_credentials", number>;

/** Signing in to the settings with a recovery code; a missing email or code is "missing_credentials". */
const RECOVERY_SIGN_IN = {
  reason_required: 400,
  invalid_code: 401,
  too_many_attempts: 429,
} as const satisfies Record<RecoverySignInRefusal["error"], number>;

/** Choosing a room name at /welcome ("user_has_room" is not a refusal there: the person goes on to the dashboard). */
const ROOM_NAME = { invalid_room_name: 400, room_name_taken: 409 } as const;

const WAITING_ROOM = {
  invalid_name: 400,
  // Temporary by nature: the queue frees up as patients are seen.
  room_full: 503,
  patient_not_waiting: 404,
} as const satisfies Record<JoinRefusal | "patient_not_waiting", number>;

/** The operator API's SAML connection and the clinic's SSO settings page. */
const SSO_CONNECTION = {
  sso_not_configured: 404,
  sso_not_enabled: 404,
  invalid_idp_configuration: 400,
  enforce_before_first_sign_in: 409,
} as const;

/** Approving or rejecting a metadata change: each refusal means the page the admin saw is out of date (409). */
const METADATA_DECISION = {
  no_such_change: 409,
  connection_changed: 409,
  enforce_before_first_sign_in: 409,
} as const satisfies Record<MetadataDecisionError, number>;

/** The email-domain lock, from the settings page and the operator API. */
const EMAIL_DOMAINS = {
  invalid_domain: 400,
  too_many_domains: 400,
  domain_locked_elsewhere: 409,
} as const satisfies Record<EmailDomainsRefusal["kind"], number>;

/** The pasted-response diagnosis on the settings page. */
const DIAGNOSE_PASTED_RESPONSE = {
  pasted_response_missing: 400,
  pasted_response_too_long: 413,
  diagnose_before_connecting: 409,
} as const;

/** The settings page re-renders with its sentence; both refusals there mean "not now" (409). */
const SSO_SETTINGS_PAGE = {
  unknown_setting: 400,
  not_configured: 409,
  enforce_before_first_sign_in: 409,
} as const satisfies Record<ChangeFlagsError | "unknown_setting", number>;

/** The SCIM endpoint's refusals (RFC 7644 §3.12); a seat the clinic does not have is not the IdP's to take (403). */
const SCIM = {
  scim_invalid_filter: 400,
  scim_invalid_value: 400,
  scim_invalid_path: 400,
  scim_invalid_syntax: 400,
  scim_uniqueness: 409,
  scim_not_found: 404,
  scim_seat_limit_reached: 403,
  scim_last_admin: 409,
} as const satisfies Record<ScimErrorCode, number>;

/** SCIM tokens, from the settings page and the operator API. */
const SCIM_TOKENS = { too_many_scim_tokens: 409, scim_token_not_found: 404 } as const;

const DEMO_IDP = {
  demo_idp_request_too_large: 413,
  demo_idp_relay_state_too_long: 400,
  demo_idp_malformed_request: 400,
  demo_idp_wrong_destination: 400,
  demo_idp_unknown_service_provider: 403,
  demo_idp_acs_mismatch: 400,
  demo_idp_unknown_person: 400,
  demo_idp_invalid_email: 400,
  demo_idp_invalid_name: 400,
  demo_idp_unknown_app: 404,
  // Not a refusal: the demo IdP's sign-out page uses the problem page to say there was nothing to end.
  demo_idp_signed_out: 200,
} as const satisfies Record<`demo_idp_${DemoSsoRefusal | DemoPersonRefusal | "unknown_app" | "signed_out"}`, number>;

/** Every refused SSO sign-in, whatever its reason, is one answer: nobody the IdP vouched for was let in. */
const SSO_SIGN_IN = { sso_sign_in_refused: 403 } as const;

const STATUSES = {
  ...REQUEST,
  ...ACCESS,
  ...OPERATIONS,
  ...CREATE_CLINIC,
  ...ADD_MEMBER,
  ...MANAGE_MEMBER,
  ...INVITATION,
  ...PASSWORD_SIGN_IN,
  ...RECOVERY_SIGN_IN,
  ...ROOM_NAME,
  ...WAITING_ROOM,
  ...SSO_CONNECTION,
  ...SSO_SETTINGS_PAGE,
  ...SCIM,
  ...SCIM_TOKENS,
  ...METADATA_DECISION,
  ...EMAIL_DOMAINS,
  ...DIAGNOSE_PASTED_RESPONSE,
  ...SSO_SIGN_IN,
  ...DEMO_IDP,
} as const;

export type StatusCode = keyof typeof STATUSES;

/** The HTTP status of a refusal code. */
export function statusOf(code: StatusCode): number {
  return STATUSES[code];
}

/** After a form post, or on to the page that applies: the browser follows with a GET (post/redirect/get). */
export function seeOther(reply: FastifyReply, url: string): FastifyReply {
  return reply.redirect(url, 303);
}

/** Off to the identity provider with an AuthnRequest in the URL (HTTP-Redirect binding). */
export function redirectToIdp(reply: FastifyReply, url: string): FastifyReply {
  return reply.redirect(url, 302);
}

/** A JSON answer for something the request created. */
export function sendCreated(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.status(201).send(body);
}

/** A JSON refusal outside /api/ (the pages' own polling endpoints), in the API's shape. */
export function sendJsonRefusal(reply: FastifyReply, code: StatusCode, message: string): FastifyReply {
  return reply.status(statusOf(code)).send({ error: code, message });
}
