import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import type { SamlConnection } from "../sso/saml/connection.js";
import { isActiveAdminOf, type Membership } from "../users/user.js";
import { findMembershipOfUser, findUserByEmail } from "../users/user.queries.js";
import { signInWithSaml, type PostedSamlResponse, type SamlSignInPolicy, type SsoFailure, type SsoSignIn } from "./sign-in-with-saml.js";
import { finishTestSignIn, type SamlTestReport } from "./test-sign-in.js";

/** A SAMLResponse posted to a clinic's ACS, and the membership of whoever the posting browser is signed in as (or null). */
export interface PostedToAcs extends PostedSamlResponse {
  signedInAs: Membership | null;
}

/** What the ACS did with a posted response. */
export type AcsOutcome =
  | { kind: "tested"; report: SamlTestReport }
  | { kind: "signed_in"; value: SsoSignIn }
  /** diagnosisForAdmin: the person is one of the clinic's active admins, who may read the refusal's diagnosis. */
  | { kind: "refused"; error: SsoFailure; diagnosisForAdmin: boolean };

/**
 * The Assertion Consumer Service of one clinic: a sign-in (signInWithSaml), unless the response answers a "Test
 * sign-in" request, which signInWithSaml tells without writing anything: that one is diagnosed and reported, never
 * signed in (the request store holds the line).
 */
export async function consumeSamlResponse(
  db: Db,
  clinic: Clinic,
  connection: SamlConnection | null,
  posted: PostedToAcs,
  policy: SamlSignInPolicy,
  now: Date,
): Promise<AcsOutcome> {
  const signedIn = await signInWithSaml(db, clinic, connection, posted, policy, now);
  if ("answersTest" in signedIn) {
    return {
      kind: "tested",
      report: await finishTestSignIn(db, clinic, posted, signedIn.answersTest, policy.verifier, now),
    };
  }
  if (signedIn.ok) return { kind: "signed_in", value: signedIn.value };
  const { vouchedEmail } = signedIn.error;
  // The clinic's own admins (signed in here, or vouched for by the IdP in this very response) go on to the diagnosis;
  // the address is looked up only on a refusal, and only when the session has not already told.
  const diagnosisForAdmin =
    isActiveAdminOf(posted.signedInAs, clinic.id) || (vouchedEmail !== null && (await isActiveClinicAdmin(db, clinic, vouchedEmail)));
  return { kind: "refused", error: signedIn.error, diagnosisForAdmin };
}

/** Whether this address belongs to an active admin of the clinic. */
async function isActiveClinicAdmin(db: Db, clinic: Clinic, email: string): Promise<boolean> {
  const user = await findUserByEmail(db, email);
  const membership = user ? await findMembershipOfUser(db, user.id) : null;
  return isActiveAdminOf(membership, clinic.id);
}
