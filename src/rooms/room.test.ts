import assert from "node:assert/strict";
import { test } from "node:test";
import { roomNameSchema, suggestRoomName } from "./room.js";

test("room names: 3 to 40 letters, digits and inner hyphens, lower-cased", () => {
  assert.equal(roomNameSchema.parse("Dr-Lee"), "dr-lee");
  for (const bad of ["ab", "a".repeat(41), "-lee", "lee-", "lee_x", "lée", "dashboard", "sign-in", "api", "admin"]) {
    assert.equal(roomNameSchema.safeParse(bad).success, false, bad);
  }
});

test("suggests a room name from a person's name", () => {
  assert.equal(suggestRoomName("Dr. Ana María Ruiz"), "ana-maria-ruiz");
  assert.equal(suggestRoomName("李"), null);
});
