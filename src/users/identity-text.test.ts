import assert from "node:assert/strict";
import { test } from "node:test";
import { checkEmailAddress, checkEmailDomain, checkPersonName, domainOfEmail } from "./identity-text.js";

test("an email's domain is NFKC-normalised and lower-cased: full-width letters become the domain they spell", () => {
  assert.deepEqual(checkEmailAddress("  Nora@ＬＡＫＥＳＩＤＥ.example "), { ok: true, value: "nora@lakeside.example" });
  assert.deepEqual(checkEmailAddress("O'Brien+ops@Clinic.ORG"), { ok: true, value: "o'brien+ops@clinic.org" });
});

test("an email's local part must already be plain ASCII: full-width or accented letters are refused, not mapped", () => {
  for (const value of ["ａｄｍｉｎ@clinic.org", "adm\u00efn@clinic.org", "ad\uff4din@clinic.org"]) {
    const checked = checkEmailAddress(value);
    assert.equal(checked.ok, false, value);
    assert.match(!checked.ok ? checked.error : "", /plain ASCII part before the @/);
  }
});

test("invisible and text-direction characters in an email are refused and named", () => {
  for (const [value, named] of [
    ["ali\u200bce@clinic.org", "U+200B"],
    ["alice@clinic.org\u202e", "U+202E"],
    ["\u2066alice@clinic.org", "U+2066"],
    ["alice@cli\u00adnic.org", "U+00AD"],
    ["alice@clinic.org\ufeff", "U+FEFF"],
  ] as const) {
    const checked = checkEmailAddress(value);
    assert.equal(checked.ok, false, value);
    assert.match(
      !checked.ok ? checked.error : "",
      new RegExp(`invisible or text-direction characters \\(found ${named.replace("+", "\\+")}\\)`),
    );
  }
});

test("markup and other non-addresses are refused as the operator API refuses them", () => {
  for (const value of ["<b>x</b>@clinic.org", "x@clinic.org<script>", '"a b"@clinic.org', "no-at-sign", "@clinic.org", "a@b", "a@@b.org"]) {
    assert.equal(checkEmailAddress(value).ok, false, value);
  }
});

test("a name is NFKC-normalised and trimmed; real names in any script pass", () => {
  assert.deepEqual(checkPersonName("  Ｎｏｒａ Newman "), { ok: true, value: "Nora Newman" });
  for (const name of ["Siobhán O'Brien-Ní Dhuibhir", "山田 太郎", "José María", "محمد\u200cرضا", "Zoë ÆLFRED"]) {
    assert.equal(checkPersonName(name).ok, true, name);
  }
});

test("a name with bidi controls, zero-width or control characters, or angle brackets is refused", () => {
  for (const [name, why] of [
    ["Mallory\u202eeciffo", /found U\+202E/],
    ["\u2067Eve", /found U\+2067/],
    ["Eve\u200b", /found U\+200B/],
    ["\u200dEve", /found U\+200D/],
    ["Eve\u0007", /found U\+0007/],
    ["<img src=x>", /must not contain < or >/],
    ["   ", /must not be empty/],
    ["x".repeat(201), /at most 200/],
  ] as const) {
    const checked = checkPersonName(name);
    assert.equal(checked.ok, false, name);
    assert.match(!checked.ok ? checked.error : "", why);
  }
});

test("an email domain to lock is normalised like an address's domain: NFKC, lower-case, @ and final dot dropped", () => {
  assert.deepEqual(checkEmailDomain(" ＬＡＫＥＳＩＤＥ.Example "), { ok: true, value: "lakeside.example" });
  assert.deepEqual(checkEmailDomain("@Clinic.ORG."), { ok: true, value: "clinic.org" });
  assert.deepEqual(checkEmailDomain("xn--bcher-kva.de"), { ok: true, value: "xn--bcher-kva.de" });
  assert.equal(domainOfEmail("nora@lakeside.example"), "lakeside.example");
});

test("junk domains are refused with the reason: a bare TLD, a public suffix, a shared mailbox provider, an address", () => {
  for (const [value, reason] of [
    ["com", /not a top-level domain/],
    ["localhost", /not a top-level domain/],
    ["clinic.123", /not a top-level domain/],
    ["co.uk", /public suffix/],
    ["Gmail.com", /public mailbox provider/],
    ["nora@clinic.org", /without the part before the @/],
    ["clinic..org", /letters, digits and hyphens/],
    ["-clinic.org", /letters, digits and hyphens/],
    ["bücher.de", /xn-- form/],
    ["clinic.org\u200b", /U\+200B/],
    ["", /must not be empty/],
  ] as const) {
    const checked = checkEmailDomain(value);
    assert.equal(checked.ok, false, value);
    assert.match(!checked.ok ? checked.error : "", reason, value);
  }
});
