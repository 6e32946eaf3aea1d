/**
 * How someone signed in: stored with each session and as a membership's last sign-in method. This is the one list.
 * A new way in (an OIDC connection would add "oidc") is added here and given its use case in sign-in/; the pages that
 * name methods fail the type-check until they have a label for it. Members provisioned by SCIM are not a way in:
 * they sign in with one of these. The columns are plain strings, so a new method needs no migration.
 */
export type AuthMethod = "password" | "saml";
