import assert from "node:assert/strict";
import { test } from "node:test";
import { LONGEST_WAIT_MS, throttledAddress, waitAfterFailures } from "./sign-in-throttle.js";

test("an IPv4 address is throttled as itself, also when IPv4-mapped", () => {
  assert.equal(throttledAddress("203.0.113.7"), "203.0.113.7");
  assert.equal(throttledAddress("::ffff:203.0.113.7"), "203.0.113.7");
});

test("an IPv6 address is throttled by its /64, so rotating within one subscriber's network changes nothing", () => {
  assert.equal(throttledAddress("2001:db8:0:1::1"), "2001:db8:0:1::/64");
  assert.equal(throttledAddress("2001:0DB8:0000:0001:ffff:1:2:3"), "2001:db8:0:1::/64");
  assert.equal(throttledAddress("2001:db8::1"), "2001:db8:0:0::/64");
  assert.equal(throttledAddress("::1"), "0:0:0:0::/64");
  assert.equal(throttledAddress("fe80::1%eth0"), "fe80:0:0:0::/64");
});

test("five failures are free, then the wait doubles from a minute up to an hour", () => {
  assert.deepEqual([4, 5, 6, 7, 10, 11, 40].map(waitAfterFailures), [
    0,
    60_000,
    120_000,
    240_000,
    1_920_000,
    LONGEST_WAIT_MS,
    LONGEST_WAIT_MS,
  ]);
});
