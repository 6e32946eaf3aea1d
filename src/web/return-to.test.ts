import assert from "node:assert/strict";
import { test } from "node:test";
import { safeReturnPath } from "./return-to.js";

test("keeps local paths with their query and fragment", () => {
  assert.equal(safeReturnPath("/dashboard"), "/dashboard");
  assert.equal(safeReturnPath("/settings/users?tab=2#top"), "/settings/users?tab=2#top");
});

test("refuses every way out to another origin or a script", () => {
  const hostile = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "/\u0000",
    "dashboard",
    "",
    " /dashboard",
    "/\tevil",
    "http:/evil.example",
  ];
  for (const value of hostile) assert.equal(safeReturnPath(value), null, value);
  // Percent-encoded line breaks stay encoded, so they cannot split the Location header.
  assert.equal(safeReturnPath("/%0d%0aSet-Cookie:x"), "/%0d%0aSet-Cookie:x");
  assert.equal(safeReturnPath(42), null);
  assert.equal(safeReturnPath(`/${"a".repeat(600)}`), null);
});

// Paths that URL parsing turns into `//evil.com` (another origin) by removing their dot segments.
const DOT_SEGMENT_ESCAPES = [
  "/.//evil.com",
  "/..//evil.com",
  "/a/..//evil.com",
  "/%2e//evil.com",
  "/%2E//evil.com",
  "/%2e%2e//evil.com",
  "/.%2e//evil.com",
  "/%2e.//evil.com",
  "/a/%2e%2e//evil.com",
  "/./%2e//evil.com",
];

test("refuses dot segments, plain or percent-encoded, that would normalise into another origin", () => {
  for (const value of DOT_SEGMENT_ESCAPES) assert.equal(safeReturnPath(value), null, value);
  for (const value of ["/a/./b", "/a/../b", "/%2e", "/.."]) assert.equal(safeReturnPath(value), null, value);
});

test("keeps dots that are not whole path segments, and dots in the query", () => {
  assert.equal(safeReturnPath("/rooms/dr.lee"), "/rooms/dr.lee");
  assert.equal(safeReturnPath("/.well-known/x"), "/.well-known/x");
  assert.equal(safeReturnPath("/...//x"), "/...//x");
  assert.equal(safeReturnPath("/dashboard?next=/..//x#/./"), "/dashboard?next=/..//x#/./");
});
