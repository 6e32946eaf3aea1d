import type { Clinic } from "../clinics/clinic.js";
import { getClinic } from "../clinics/clinic.queries.js";
import { findClinicLockingDomain } from "../clinics/email-domains.js";
import type { Db } from "../db/open.js";
import { ssoSignInOptions } from "../sso/saml/connection.queries.js";
import { domainOfEmail } from "../users/identity-text.js";
import { isActiveAdminOf, type Membership, type User } from "../users/user.js";

/** What the main site's account page offers a signed-in person: the way on to their clinic, or to the one that signs them in. */
export interface AccountOverview {
  /** Their clinic; settingsHandoff when it enforces SSO and they are its active admin (the way in if its IdP breaks). */
  clinic: { clinic: Clinic; settingsHandoff: boolean } | null;
  /** A clinic that locked the person's email domain: a main-site password user is pointed to its single sign-on. */
  lockedBy: { clinic: Pick<Clinic, "name" | "subdomain">; domain: string } | null;
}

/** The account page's facts for a person and their membership (null when they belong to no clinic). */
export async function getAccountOverview(db: Db, user: Pick<User, "email">, membership: Membership | null): Promise<AccountOverview> {
  const clinic = membership ? await getClinic(db, membership.clinicId) : null;
  const sso = clinic ? await ssoSignInOptions(db, clinic.id) : null;
  const domain = domainOfEmail(user.email);
  const lockedBy = await findClinicLockingDomain(db, domain);
  return {
    clinic: clinic && { clinic, settingsHandoff: Boolean(sso?.enforced) && isActiveAdminOf(membership, clinic.id) },
    lockedBy: lockedBy && { clinic: lockedBy, domain },
  };
}
