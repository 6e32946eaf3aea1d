import { recordAuditEvent } from "../../audit/audit.js";
import type { Clinic } from "../../clinics/clinic.js";
import type { Db } from "../../db/open.js";
import { newId, nowIso } from "../../ids.js";
import { ok } from "../../result.js";
import { updateMemberWithin } from "../../users/manage-members.js";
import type { ScimGroupInput } from "./group-resource.js";
import { readGroupPatch, type PatchOperation } from "./patch.js";
import { findScimAdminGroup } from "./scim-requests.js";
import { runScimWrite, scimErr, type ScimResult } from "./scim-result.js";
import { scimActor, type ScimCaller } from "./scim-users.js";

/** Every id must be a member of this clinic the IdP can see: a user of another clinic is never put in a group. */
async function checkMembers(trx: Db, clinicId: string, ids: string[]): Promise<ScimResult<null>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return ok(null);
  const found = await trx
    .selectFrom("memberships")
    .leftJoin("scim_members", "scim_members.user_id", "memberships.user_id")
    .select("memberships.user_id")
    .where("memberships.clinic_id", "=", clinicId)
    .where("memberships.user_id", "in", unique)
    .where("scim_members.deleted_at", "is", null)
    .execute();
  const known = new Set(found.map((r) => r.user_id));
  const missing = unique.find((id) => !known.has(id));
  return missing === undefined ? ok(null) : scimErr("scim_invalid_value", `No user ${missing} in this clinic.`);
}

/**
 * Gives each person the role the admin group says (admin inside it, provider outside), through the same guarded
 * change as Manage Users: the clinic never loses its last active admin. Nothing happens while no group means admin.
 */
async function syncRoles(trx: Db, clinic: Clinic, userIds: Iterable<string>, caller: ScimCaller, now: Date): Promise<ScimResult<null>> {
  const adminGroup = await findScimAdminGroup(trx, clinic.id);
  if (adminGroup === null) return ok(null);
  for (const userId of new Set(userIds)) {
    const user = await trx.selectFrom("users").select("email").where("id", "=", userId).executeTakeFirst();
    if (!user) continue;
    const inAdminGroup = await trx
      .selectFrom("scim_group_members")
      .innerJoin("scim_groups", "scim_groups.id", "scim_group_members.group_id")
      .select("scim_groups.id")
      .where("scim_groups.clinic_id", "=", clinic.id)
      .where("scim_groups.display_name", "=", adminGroup)
      .where("scim_group_members.user_id", "=", userId)
      .executeTakeFirst();
    const changed = await updateMemberWithin(
      trx,
      clinic,
      user.email,
      { role: inAdminGroup ? "admin" : "provider" },
      scimActor(caller),
      now,
    );
    if (!changed.ok && changed.error === "last_admin") {
      return scimErr("scim_last_admin", `${user.email} is the clinic's last active admin: make someone else admin first.`);
    }
  }
  return ok(null);
}

async function setMembers(trx: Db, groupId: string, members: string[]): Promise<void> {
  await trx.deleteFrom("scim_group_members").where("group_id", "=", groupId).execute();
  const unique = [...new Set(members)];
  if (unique.length)
    await trx
      .insertInto("scim_group_members")
      .values(unique.map((user_id) => ({ group_id: groupId, user_id })))
      .execute();
}

async function currentMembers(trx: Db, groupId: string): Promise<string[]> {
  return (await trx.selectFrom("scim_group_members").select("user_id").where("group_id", "=", groupId).execute()).map((r) => r.user_id);
}

async function auditGroup(
  trx: Db,
  clinic: Clinic,
  caller: ScimCaller,
  action: string,
  group: string,
  detail: Record<string, number | string>,
  now: Date,
) {
  await recordAuditEvent(trx, { ...scimActor(caller), clinicId: clinic.id, action, target: group, outcome: "success", detail }, now);
}

async function displayNameTaken(trx: Db, clinicId: string, displayName: string, exceptId: string | null): Promise<boolean> {
  const row = await trx
    .selectFrom("scim_groups")
    .select("id")
    .where("clinic_id", "=", clinicId)
    .where("display_name", "=", displayName)
    .executeTakeFirst();
  return row !== undefined && row.id !== exceptId;
}

export async function createScimGroup(
  db: Db,
  clinic: Clinic,
  input: ScimGroupInput,
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<{ id: string }>> {
  return runScimWrite(db, "Another group of this clinic already has this displayName.", async (trx) => {
    if (await displayNameTaken(trx, clinic.id, input.displayName, null))
      return scimErr("scim_uniqueness", "Another group of this clinic already has this displayName.");
    const members = input.members ?? [];
    const checked = await checkMembers(trx, clinic.id, members);
    if (!checked.ok) return checked;
    const id = newId();
    await trx
      .insertInto("scim_groups")
      .values({ id, clinic_id: clinic.id, display_name: input.displayName, external_id: input.externalId, created_at: nowIso(now) })
      .execute();
    await setMembers(trx, id, members);
    await auditGroup(trx, clinic, caller, "scim.group_create", input.displayName, { members: members.length }, now);
    const roles = await syncRoles(trx, clinic, members, caller, now);
    return roles.ok ? ok({ id }) : roles;
  });
}

/** PUT /Groups/:id: the name and, when sent, the whole member list. */
export async function replaceScimGroup(
  db: Db,
  clinic: Clinic,
  groupId: string,
  input: ScimGroupInput,
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<null>> {
  return runScimWrite(db, "Another group of this clinic already has this displayName.", async (trx) => {
    const group = await findClinicGroup(trx, clinic, groupId);
    if (!group) return scimErr("scim_not_found", `No group ${groupId} in this clinic.`);
    return writeGroup(
      trx,
      clinic,
      group.id,
      await currentMembers(trx, group.id),
      { ...input, members: input.members ?? (await currentMembers(trx, group.id)) },
      caller,
      now,
    );
  });
}

async function writeGroup(
  trx: Db,
  clinic: Clinic,
  groupId: string,
  before: string[],
  next: { displayName: string; externalId: string | null; members: string[] },
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<null>> {
  if (await displayNameTaken(trx, clinic.id, next.displayName, groupId))
    return scimErr("scim_uniqueness", "Another group of this clinic already has this displayName.");
  const checked = await checkMembers(trx, clinic.id, next.members);
  if (!checked.ok) return checked;
  await trx
    .updateTable("scim_groups")
    .set({ display_name: next.displayName, external_id: next.externalId })
    .where("id", "=", groupId)
    .execute();
  await setMembers(trx, groupId, next.members);
  const added = next.members.filter((id) => !before.includes(id)).length;
  const removed = before.filter((id) => !next.members.includes(id)).length;
  await auditGroup(trx, clinic, caller, "scim.group_change", next.displayName, { added, removed }, now);
  // A renamed group may have become (or stopped being) the admin group: everyone in it before or after is looked at.
  return syncRoles(trx, clinic, [...before, ...next.members], caller, now);
}

/** PATCH /Groups/:id: Okta's and Entra ID's member pushes and renames, all or nothing. */
export async function patchScimGroup(
  db: Db,
  clinic: Clinic,
  groupId: string,
  operations: PatchOperation[],
  caller: ScimCaller,
  now: Date,
): Promise<ScimResult<null>> {
  const changes = readGroupPatch(operations);
  if (!changes.ok) return changes;
  return runScimWrite(db, "Another group of this clinic already has this displayName.", async (trx) => {
    const group = await findClinicGroup(trx, clinic, groupId);
    if (!group) return scimErr("scim_not_found", `No group ${groupId} in this clinic.`);
    const before = await currentMembers(trx, group.id);
    let members = [...before];
    let displayName = group.display_name;
    let externalId = group.external_id;
    for (const change of changes.value) {
      if (change.displayName !== undefined) displayName = change.displayName;
      if (change.externalId !== undefined) externalId = change.externalId;
      if (change.replaceMembers) members = [...change.replaceMembers];
      members = change.removeMembers === "all" ? [] : members.filter((id) => !(change.removeMembers as string[]).includes(id));
      members = [...new Set([...members, ...change.addMembers])];
    }
    return writeGroup(trx, clinic, group.id, before, { displayName, externalId, members }, caller, now);
  });
}

export async function deleteScimGroup(db: Db, clinic: Clinic, groupId: string, caller: ScimCaller, now: Date): Promise<ScimResult<null>> {
  return runScimWrite(db, "Another group of this clinic already has this displayName.", async (trx) => {
    const group = await findClinicGroup(trx, clinic, groupId);
    if (!group) return scimErr("scim_not_found", `No group ${groupId} in this clinic.`);
    const before = await currentMembers(trx, group.id);
    await trx.deleteFrom("scim_group_members").where("group_id", "=", group.id).execute();
    await trx.deleteFrom("scim_groups").where("id", "=", group.id).execute();
    await auditGroup(trx, clinic, caller, "scim.group_delete", group.display_name, { members: before.length }, now);
    return syncRoles(trx, clinic, before, caller, now);
  });
}

/** The group, only if it belongs to this clinic: an id from another clinic's IdP finds nothing. */
function findClinicGroup(db: Db, clinic: Clinic, groupId: string) {
  return db.selectFrom("scim_groups").selectAll().where("id", "=", groupId).where("clinic_id", "=", clinic.id).executeTakeFirst();
}
