import { recordAuditEvent } from "../audit/audit.js";
import { createClinic, findClinicBySubdomain } from "../clinics/clinic.queries.js";
import type { Clinic } from "../clinics/clinic.js";
import type { Db } from "../db/open.js";
import { newSecret } from "../ids.js";
import { addClinicMember } from "../users/add-member.js";
import { hashPassword } from "../users/password.js";
import { findUserByEmail } from "../users/user.queries.js";

export const DEMO_SUBDOMAIN = "demo";
export const DEMO_ADMIN_EMAIL = "admin@demo-clinic.test";

export interface DemoSeed {
  clinic: Clinic;
  adminEmail: string;
  /** Set anew at every start, so the one printed is always the one that works. */
  adminPassword: string;
}

/** Makes sure the demo clinic and its admin exist; resets the admin's password and returns it. */
export async function seedDemo(db: Db, now: Date): Promise<DemoSeed> {
  let clinic = await findClinicBySubdomain(db, DEMO_SUBDOMAIN);
  if (!clinic) {
    const created = await createClinic(db, { subdomain: DEMO_SUBDOMAIN, name: "Demo Family Clinic", seats: 10 }, now);
    clinic = created.ok ? created.value : await findClinicBySubdomain(db, DEMO_SUBDOMAIN);
  }
  if (!clinic) throw new Error("the demo clinic could not be created");
  const adminPassword = newSecret().slice(0, 20);
  const existing = await findUserByEmail(db, DEMO_ADMIN_EMAIL);
  const by = { actor: "system", ip: null };
  if (!existing) {
    await addClinicMember(
      db,
      clinic,
      { email: DEMO_ADMIN_EMAIL, name: "Dana Admin", role: "admin", password: adminPassword, roomName: "dana-admin" },
      by,
      now,
    );
    await addClinicMember(
      db,
      clinic,
      { email: "provider@demo-clinic.test", name: "Dr. Priya Provider", role: "provider", roomName: "dr-priya" },
      by,
      now,
    );
  } else {
    await db
      .updateTable("users")
      .set({ password_hash: await hashPassword(adminPassword) })
      .where("id", "=", existing.id)
      .execute();
    await recordAuditEvent(
      db,
      {
        ...by,
        clinicId: clinic.id,
        action: "demo.reset_admin_password",
        target: DEMO_ADMIN_EMAIL,
        outcome: "success",
      },
      now,
    );
  }
  return { clinic, adminEmail: DEMO_ADMIN_EMAIL, adminPassword };
}
