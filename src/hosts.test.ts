import assert from "node:assert/strict";
import { test } from "node:test";
import { clinicOrigin, isAddressHost, siteForHost } from "./hosts.js";

test("reads the main site and clinic subdomains from the Host header", () => {
  assert.deepEqual(siteForHost("localhost:3000", "localhost"), { kind: "main" });
  assert.deepEqual(siteForHost("ACME.localhost:3000", "localhost"), { kind: "clinic", subdomain: "acme" });
  assert.deepEqual(siteForHost("acme.clinics.example.com.", "clinics.example.com"), { kind: "clinic", subdomain: "acme" });
});

test("anything else is an unknown host, never a clinic", () => {
  for (const host of [undefined, "", "evil.com", "a.b.localhost", "localhost.evil.com", "acme_x.localhost", "xlocalhost"]) {
    assert.deepEqual(siteForHost(host, "localhost"), { kind: "unknown" }, String(host));
  }
});

test("clinic origins leave out the scheme's default port", () => {
  assert.equal(clinicOrigin({ scheme: "https", baseDomain: "example.com", publicPort: null }, "acme"), "https://acme.example.com");
  assert.equal(clinicOrigin({ scheme: "http", baseDomain: "localhost", publicPort: 3000 }, "acme"), "http://acme.localhost:3000");
});

test("an IP address, with or without a port, is an address host; names are not", () => {
  for (const host of ["10.0.1.11", "10.0.1.11:3000", "[::1]:3000", "[fd00::5]"]) assert.equal(isAddressHost(host), true, host);
  for (const host of [undefined, "", "localhost", "acme.localhost:3000", "10.0.1.11.evil.com", "::1:3000x"]) {
    assert.equal(isAddressHost(host), false, String(host));
  }
});
