import assert from "node:assert/strict";
import { test } from "node:test";
import { applyUserPatch, parsePatchOperations, readGroupPatch } from "./patch.js";
import type { ScimUserState } from "./user-resource.js";

const STATE: ScimUserState = {
  userName: "ann@example.org",
  externalId: null,
  givenName: "Ann",
  familyName: "Lee",
  displayName: null,
  formatted: null,
  email: "ann@example.org",
  active: true,
};

function ops(...operations: unknown[]) {
  const parsed = parsePatchOperations({ Operations: operations });
  assert.ok(parsed.ok, JSON.stringify(parsed));
  return parsed.value;
}

test("Entra ID's capitalised ops, string booleans and filtered email path", () => {
  const next = applyUserPatch(
    STATE,
    ops(
      { op: "Replace", path: "active", value: "False" },
      { op: "Replace", path: 'emails[type eq "work"].value', value: "new@example.org" },
    ),
  );
  assert.deepEqual(next.ok && [next.value.active, next.value.email], [false, "new@example.org"]);
});

test("Okta's value object without a path, nested name included; unknown attributes are ignored", () => {
  const next = applyUserPatch(STATE, ops({ op: "replace", value: { active: false, name: { familyName: "Park" }, title: "Dr" } }));
  assert.deepEqual(next.ok && [next.value.active, next.value.familyName, next.value.givenName], [false, "Park", "Ann"]);
});

test("refuses removing active or userName, a non-boolean active, an unknown op and a path that does not parse", () => {
  assert.equal(applyUserPatch(STATE, ops({ op: "remove", path: "active" })).ok, false);
  assert.equal(applyUserPatch(STATE, ops({ op: "remove", path: "userName" })).ok, false);
  assert.equal(applyUserPatch(STATE, ops({ op: "replace", path: "active", value: "yes" })).ok, false);
  assert.equal(parsePatchOperations({ Operations: [{ op: "copy", path: "active", value: true }] }).ok, false);
  assert.equal(parsePatchOperations({ Operations: [{ op: "replace", path: "a b", value: 1 }] }).ok, false);
  assert.equal(parsePatchOperations({ Operations: [] }).ok, false);
});

test("group members: Okta's filtered remove, Entra's list remove, add, and Okta's rename without a path", () => {
  const changes = readGroupPatch(
    ops(
      { op: "remove", path: 'members[value eq "u1"]' },
      { op: "Remove", path: "members", value: [{ value: "u2" }] },
      { op: "add", path: "members", value: [{ value: "u3" }] },
      { op: "replace", value: { id: "g", displayName: "Admins" } },
    ),
  );
  assert.ok(changes.ok);
  assert.deepEqual(
    changes.value.map((c) => [c.removeMembers, c.addMembers, c.displayName]),
    [
      [["u1"], [], undefined],
      [["u2"], [], undefined],
      [[], ["u3"], undefined],
      [[], [], "Admins"],
    ],
  );
});
