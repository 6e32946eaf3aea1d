import assert from "node:assert/strict";
import { test } from "node:test";
import { formatLogLine } from "./log-lines.js";

const time = Date.UTC(2026, 11, 5, 22, 3, 1);

test("a request's line shows its id after the level, so support finds it from the reference on the page", () => {
  const record = {
    level: 30,
    time,
    reqId: "K3QX7M2BZA",
    method: "GET",
    host: "demo.localhost",
    path: "/dashboard",
    statusCode: 200,
    ms: 12,
  };
  assert.equal(formatLogLine(JSON.stringify(record)), "22:03:01 INFO  [K3QX7M2BZA] GET demo.localhost/dashboard 200 12ms");
});

test("any other line of a request shows the id too, beside its own fields", () => {
  const record = { level: 40, time, reqId: "K3QX7M2BZA", msg: "saml sign-in refused", clinic: "acme", code: "not_provisioned" };
  assert.equal(formatLogLine(JSON.stringify(record)), "22:03:01 WARN  [K3QX7M2BZA] saml sign-in refused clinic=acme code=not_provisioned");
});

test("a line outside any request has no id", () => {
  assert.equal(formatLogLine(JSON.stringify({ level: 30, time, msg: "Server listening" })), "22:03:01 INFO  Server listening");
});
