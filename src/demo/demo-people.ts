/** The demo people the demo IdP can vouch for: two seeded members and two newcomers for JIT. */
import { DEMO_ADMIN_EMAIL } from "./seed-demo.js";

export interface DemoPerson {
  email: string;
  firstName: string;
  lastName: string;
  displayName: string;
  /** What signing in as this person shows. */
  note: string;
}

export const DEMO_PEOPLE: readonly DemoPerson[] = Object.freeze([
  { email: DEMO_ADMIN_EMAIL, firstName: "Dana", lastName: "Admin", displayName: "Dana Admin", note: "The demo clinic's admin (seeded)." },
  {
    email: "provider@demo-clinic.test",
    firstName: "Priya",
    lastName: "Provider",
    displayName: "Dr. Priya Provider",
    note: "A provider of the demo clinic (seeded).",
  },
  {
    email: "noah@demo-clinic.test",
    firstName: "Noah",
    lastName: "Newcomer",
    displayName: "Noah Newcomer",
    note: "Not a member yet: just-in-time provisioning creates the account, if the clinic turned it on.",
  },
  {
    email: "grace@demo-clinic.test",
    firstName: "Grace",
    lastName: "Lin",
    displayName: "Dr. Grace Lin",
    note: "Not a member yet: just-in-time provisioning creates the account, if the clinic turned it on.",
  },
]);

// An AuthnRequest is about 1 KB; these bounds are far above any real one and far below harm.
