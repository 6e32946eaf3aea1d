import type { ResolveMemberError } from "../provisioning/resolve-member.js";
import type { RequestFailureCode } from "../sso/saml/request-store.js";
import type { ResponseFailureCode } from "../sso/saml/verify-for-connection.js";

/** Why the SAML protocol refused, reported by sso/saml: the message itself, the request it answers, a replay. */
export type ProtocolFailureCode = ResponseFailureCode | RequestFailureCode | "assertion_replayed";

/** Why a person the IdP vouched for may not sign in to this clinic. */
export type MembershipFailureCode = ResolveMemberError;

export type SsoFailureCode = ProtocolFailureCode | MembershipFailureCode;
