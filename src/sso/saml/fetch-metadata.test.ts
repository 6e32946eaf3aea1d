import assert from "node:assert/strict";
import { test } from "node:test";
import { isPrivateAddress } from "./fetch-metadata.js";

// Only the address check is exercised: nothing here connects anywhere.
test("allows public IPv4 and IPv6 addresses, where Okta's and Entra's metadata live", () => {
  for (const address of [
    "8.8.8.8",
    "20.190.151.7",
    "52.84.150.1",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "2606:4700::1111",
    "2a01:111:f100:3000::a83e:1",
  ]) {
    assert.equal(isPrivateAddress(address), false, address);
  }
});

test("refuses loopback, private, link-local, carrier-grade NAT, multicast and unspecified IPv4 addresses", () => {
  for (const address of [
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
  ]) {
    assert.equal(isPrivateAddress(address), true, address);
  }
});

test("refuses loopback, unique-local, link-local and multicast IPv6 addresses", () => {
  for (const address of ["::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1"]) {
    assert.equal(isPrivateAddress(address), true, address);
  }
});

test("refuses private IPv4 addresses written as IPv6: mapped, compatible, NAT64 and 6to4", () => {
  const hostile = [
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:10.0.0.1",
    "::ffff:a00:1",
    "::ffff:169.254.169.254",
    "::ffff:a9fe:a9fe",
    "::ffff:192.168.0.1",
    "0:0:0:0:0:ffff:7f00:0001",
    "::127.0.0.1",
    "64:ff9b::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::",
    "2002:a9fe:a9fe::1",
  ];
  for (const address of hostile) assert.equal(isPrivateAddress(address), true, address);
  for (const address of ["::ffff:8.8.8.8", "::ffff:808:808", "64:ff9b::8.8.8.8", "2002:808:808::1"]) {
    assert.equal(isPrivateAddress(address), false, address);
  }
});

test("refuses what is not an IP address at all", () => {
  assert.equal(isPrivateAddress("localhost"), true);
  assert.equal(isPrivateAddress(""), true);
});
