import type { Actor } from "../../audit/audit.js";
import { recordAuditEvent } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import { checkEmailDomainAllowed } from "../../clinics/email-domains.js";
import type { Db } from "../../db/open.js";
import { nowIso } from "../../ids.js";
import type { Notifier } from "../../notifications/notifier.js";
import { ok } from "../../result.js";
import { addMemberTakingSeat } from "../../users/add-member.js";
import { changeMemberIdentity } from "../../users/change-identity.js";
import { updateMemberWithin } from "../../users/manage-members.js";
import { runScimWrite, scimErr, type ScimResult } from "./scim-result.js";
import { findScimUser, stateOfScimUser, type ScimUser } from "./scim-user.queries.js";
import { applyUserPatch, type PatchOperation } from "./patch.js";
import { identityOf, type ScimUserResource, type ScimUserState } from "./user-resource.js";

/** Who is calling: the clinic's SCIM token (named in every audit event) and the address it called from. */
export interface ScimCaller {
  tokenId: string;
  ip: string | null;
}

export function scimActor(caller: ScimCaller): Actor {
  return { actor: `scim-token:${caller.tokenId}`, ip: caller.ip };
}

type Identity = { email: string; name: string; userNameKey: string };

async function checkedIdentity(db: Db, clinic: Clinic, state: ScimUserState): Promise<ScimResult<Identity>> {
  const identity = identityOf(state);
  if (!identity.ok) return identity;
  // The clinic's email-domain lock binds SCIM as it binds JIT: no account outside it is made.
  const allowed = await checkEmailDomainAllowed(db, clinic.id, identity.value.email);
  if (!allowed.ok) return scimErr("scim_invalid_value", `${identity.value.email} is outside the email domains this clinic accepts.`);
  return identity;
}

/** Another of this clinic's SCIM users already holding this userName or externalId, as a uniqueness refusal. */
async function conflictingClaim(trx: Db, clinic: Clinic, userId: string | null, identity: Identity, externalId: string | null) {
  const taken = await trx
    .selectFrom("scim_members")
    .select(["user_id", "user_name", "external_id"])
    .where("clinic_id", "=", clinic.id)
    .where((eb) =>
      eb.or([eb("user_name", "=", identity.userNameKey), ...(externalId === null ? [] : [eb("external_id", "=", externalId)])]),
    )
    .execute();
  const other = taken.find((row) => row.user_id !== userId);
  if (!other) return null;
  const what = other.user_name === identity.userNameKey ? "userName" : "externalId";
  return scimErr("scim_uniqueness", `Another user of this clinic already has this ${what}.`);
}

/**
 * Writes what the IdP says about an existing member, as Manage Users would: the SCIM claim, the new email and
 * name, and the status (false removes them: seat freed, sessions ended; true restores them if a seat is free).
 */
async function applyStateTo(
  trx: Db,
  clinic: Clinic,
  user: ScimUser,
  state: ScimUserState,
  identity: Identity,
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<null>> {
  const conflict = await conflictingClaim(trx, clinic, user.id, identity, state.externalId);
  if (conflict) return conflict;
  const claim = {
    user_name: identity.userNameKey,
    external_id: state.externalId,
    given_name: state.givenName,
    family_name: state.familyName,
    deleted_at: null,
  };
  if (user.scim === null) {
    await trx
      .insertInto("scim_members")
      .values({ user_id: user.id, clinic_id: clinic.id, created_at: nowIso(now), ...claim })
      .execute();
    await recordAuditEvent(
      trx,
      {
        ...scimActor(caller),
        clinicId: clinic.id,
        action: "scim.member_claim",
        target: user.email,
        outcome: "success",
        detail: { externalId: state.externalId },
      },
      now,
    );
  } else {
    await trx.updateTable("scim_members").set(claim).where("user_id", "=", user.id).execute();
  }
  const renamed = await changeMemberIdentity(trx, clinic.id, user.id, identity, scimActor(caller), now);
  if (!renamed.ok) return scimErr("scim_uniqueness", `The email ${identity.email} already belongs to another user.`);
  // An invitee keeps their seat and joins by accepting their invitation; SCIM only removes or restores.
  const status = state.active ? (user.status === "invited" ? undefined : "active") : "deactivated";
  if (status === undefined) return ok(null);
  const changed = await updateMemberWithin(trx, clinic, identity.email, { status }, scimActor(caller), now);
  if (changed.ok) return ok(null);
  switch (changed.error) {
    case "seat_limit_reached":
      return scimErr("scim_seat_limit_reached", `All ${clinic.seats} seats of the clinic are in use: the user cannot be reactivated.`);
    case "last_admin":
      return scimErr("scim_last_admin", "This is the clinic's last active admin: make someone else admin before removing them.");
    case "member_not_found":
    case "invitation_pending":
      return scimErr("scim_not_found", "The user is no longer a member of this clinic.");
  }
}

/**
 * POST /Users. A person who is already a member of this clinic (signed in before with JIT, added by hand, or
 * deleted over SCIM earlier) and not claimed by another IdP identity is matched by email and claimed, not made
 * twice; anyone else gets a new account with a seat (provider, no room: the room-name onboarding comes at first sign-in).
 */
export async function createScimUser(
  db: Db,
  clinic: Clinic,
  resource: ScimUserResource,
  caller: ScimCaller,
  notifier: Notifier,
  now: Date,
): Promise<ScimResult<{ id: string; created: boolean }>> {
  const state: ScimUserState = { ...resource, active: resource.active ?? true };
  const identity = await checkedIdentity(db, clinic, state);
  if (!identity.ok) return identity;
  const result = await runScimWrite(db, "Another user already has this userName, externalId or email.", async (trx) => {
    const existing = await trx
      .selectFrom("users")
      .leftJoin("memberships", "memberships.user_id", "users.id")
      .leftJoin("scim_members", "scim_members.user_id", "users.id")
      .select(["users.id", "memberships.clinic_id", "scim_members.deleted_at", "scim_members.user_name"])
      .where("users.email", "=", identity.value.email)
      .executeTakeFirst();
    if (existing) {
      if (existing.clinic_id !== clinic.id)
        return scimErr("scim_uniqueness", "This email already belongs to a user of another organisation.");
      if (existing.user_name !== null && existing.deleted_at === null) {
        return scimErr("scim_uniqueness", `A user with this email already exists (id ${existing.id}).`);
      }
      const user = await findScimUserIncludingDeleted(trx, clinic, existing.id);
      const applied = await applyStateTo(trx, clinic, user, state, identity.value, caller, now);
      return applied.ok ? ok({ id: existing.id, created: false }) : applied;
    }
    const conflict = await conflictingClaim(trx, clinic, null, identity.value, state.externalId);
    if (conflict) return conflict;
    const person = {
      email: identity.value.email,
      name: identity.value.name,
      role: "provider",
      status: state.active ? "active" : "deactivated",
      passwordHash: null,
    } as const;
    const added = await addMemberTakingSeat(trx, clinic, person, { action: "member.scim_provision", by: scimActor(caller) }, now);
    if (!added.ok) {
      if (added.error === "seat_limit_reached")
        return scimErr("scim_seat_limit_reached", `All ${clinic.seats} seats of the clinic are in use: free a seat or ask for more.`);
      return scimErr("scim_uniqueness", "This email already belongs to another user.");
    }
    await trx
      .insertInto("scim_members")
      .values({
        user_id: added.value.user.id,
        clinic_id: clinic.id,
        user_name: identity.value.userNameKey,
        external_id: state.externalId,
        given_name: state.givenName,
        family_name: state.familyName,
        created_at: nowIso(now),
        deleted_at: null,
      })
      .execute();
    return ok({ id: added.value.user.id, created: true });
  });
  // The clinic's admins hear of it (once while the notice is open), after the refusal wrote nothing.
  if (!result.ok && result.error === "scim_seat_limit_reached") {
    await notifier.notify(db, clinic, { kind: "seats_exhausted", seats: clinic.seats, email: identity.value.email, source: "scim" }, now);
  }
  return result;
}

async function findScimUserIncludingDeleted(trx: Db, clinic: Clinic, userId: string): Promise<ScimUser> {
  // A deleted claim is lifted first, so the member is visible again and applyStateTo re-claims them.
  await trx.updateTable("scim_members").set({ deleted_at: null }).where("user_id", "=", userId).execute();
  const user = await findScimUser(trx, clinic.id, userId);
  if (!user) throw new Error("member vanished inside its own transaction");
  return user;
}

/** PUT /Users/:id (Okta's updates): the whole resource as the IdP now sees it. */
export async function replaceScimUser(
  db: Db,
  clinic: Clinic,
  userId: string,
  resource: ScimUserResource,
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<null>> {
  const identity = await checkedIdentity(db, clinic, { ...resource, active: true });
  if (!identity.ok) return identity;
  return runScimWrite(db, "Another user already has this userName, externalId or email.", async (trx) => {
    const user = await findScimUser(trx, clinic.id, userId);
    if (!user) return scimErr("scim_not_found", `No user ${userId} in this clinic.`);
    // A PUT without `active` replaces the attributes, not the status: it never restores a removed person by omission.
    const state = { ...resource, active: resource.active ?? user.status !== "deactivated" };
    return applyStateTo(trx, clinic, user, state, identity.value, caller, now);
  });
}

/** PATCH /Users/:id (Entra ID's updates, and Okta's deactivation): operations applied to what we know, all or nothing. */
export async function patchScimUser(
  db: Db,
  clinic: Clinic,
  userId: string,
  operations: PatchOperation[],
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<null>> {
  return runScimWrite(db, "Another user already has this userName, externalId or email.", async (trx) => {
    const user = await findScimUser(trx, clinic.id, userId);
    if (!user) return scimErr("scim_not_found", `No user ${userId} in this clinic.`);
    const state = applyUserPatch(stateOfScimUser(user), operations);
    if (!state.ok) return state;
    const identity = await checkedIdentity(trx, clinic, state.value);
    if (!identity.ok) return identity;
    return applyStateTo(trx, clinic, user, state.value, identity.value, caller, now);
  });
}

/** DELETE /Users/:id: removed exactly like Remove in Manage Users; the resource answers 404 from then on. */
export async function deleteScimUser(db: Db, clinic: Clinic, userId: string, caller: ScimCaller, now: Date): Promise<ScimResult<null>> {
  return runScimWrite(db, "Another user already has this userName, externalId or email.", async (trx) => {
    const user = await findScimUser(trx, clinic.id, userId);
    if (!user) return scimErr("scim_not_found", `No user ${userId} in this clinic.`);
    const state = { ...stateOfScimUser(user), active: false };
    const identity = identityOf(state);
    if (!identity.ok) return identity;
    const applied = await applyStateTo(trx, clinic, user, state, identity.value, caller, now);
    if (!applied.ok) return applied;
    // The IdP may later create the same person again: its userName and externalId are free for that.
    await trx
      .updateTable("scim_members")
      .set({ deleted_at: nowIso(now), external_id: null, user_name: `~deleted:${user.id}` })
      .where("user_id", "=", user.id)
      .execute();
    await recordAuditEvent(
      trx,
      { ...scimActor(caller), clinicId: clinic.id, action: "scim.member_delete", target: user.email, outcome: "success" },
      now,
    );
    return ok(null);
  });
}
