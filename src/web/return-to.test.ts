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
