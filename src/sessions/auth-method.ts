/**
 * How someone signed in: stored with each session and as a membership's last sign-in method. This is the one list.
 * "handoff" is an admin sent from the main site to their enforced clinic's settings; "recovery_code" is break-glass access.
 * A new way in (an OIDC connection would add "oidc") is added here and given its use case in sign-in/; the pages that
 * name methods fail the type-check until they have a label for it. Members provisioned by SCIM are not a way in:
 * they sign in with one of these. The columns are plain strings, so a new method needs no migration.
 */
export type AuthMethod = "password" | "saml" | "handoff" | "recovery_code";
