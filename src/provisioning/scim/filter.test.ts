import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEqualityFilter } from "./filter.js";

const USER = ["userName", "externalId", "id"] as const;

test("reads eq filters, attribute names in any case, values as JSON strings, clauses joined by and", () => {
  assert.deepEqual(parseEqualityFilter('userName eq "Ann@Example.org"', USER), {
    ok: true,
    value: [{ attribute: "userName", value: "Ann@Example.org" }],
  });
  assert.deepEqual(parseEqualityFilter('USERNAME EQ "a\\"b" and externalid eq "x"', USER), {
    ok: true,
    value: [
      { attribute: "userName", value: 'a"b' },
      { attribute: "externalId", value: "x" },
    ],
  });
});

test("refuses other operators, or, not, groupings, unknown attributes, trailing junk and oversized filters", () => {
  for (const filter of [
    'userName sw "a"',
    'userName eq "a" or id eq "b"',
    'not (userName eq "a")',
    '(userName eq "a")',
    'title eq "x"',
    'userName eq "a" junk',
    'userName eq "a" and',
    `userName eq "${"a".repeat(1000)}"`,
  ]) {
    assert.equal(parseEqualityFilter(filter, USER).ok, false, filter);
  }
});
