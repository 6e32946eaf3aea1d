import { z } from "zod";
import { err, ok, type Result } from "../result.js";

// Invisible characters, anywhere in an email or a name: control characters, format characters (zero-width
// space, joiners, BOM, soft hyphen, every bidi control such as U+202E and U+2066–U+2069), private-use and
// unassigned code points, line separators, and the Hangul fillers that render as nothing. A name made of these
// looks like another person's name on a page; an email with them looks like another person's address.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/u;
// Zero-width (non-)joiners are part of writing Persian, Hindi, Malayalam and others: allowed inside a word only.
const JOINER_INSIDE_A_WORD = /(?<=[\p{L}\p{M}])[\u200c\u200d](?=[\p{L}\p{M}])/gu;
// Markup-ish characters no person's name needs; a page escapes them anyway, but nothing else should meet them.
const MARKUP = /[<>]/;
const ADDRESS = z.email();

export const MAX_EMAIL_LENGTH = 320;
export const MAX_NAME_LENGTH = 200;

/**
 * The one rule for an email address, whatever its source (operator API, CLI, invitation, JIT from the IdP's
 * NameID or attributes): the normalised address, or what is wrong with it in words. The domain is NFKC-normalised
 * and lower-cased (full-width "ｃｌｉｎｉｃ.org" is clinic.org, as IDNA maps it); the part before @ is only
 * lower-cased: it must already be plain ASCII, because NFKC would turn a full-width "ａｄｍｉｎ" into another
 * person's "admin". Invisible and text-direction characters are refused, never silently dropped.
 */
export function checkEmailAddress(value: string): Result<string, string> {
  // Checked before trimming: trim() would quietly drop a BOM or a line separator at either end.
  const invisible = findInvisible(value);
  const trimmed = value.trim();
  if (invisible) return err(`must not contain invisible or text-direction characters (found ${invisible})`);
  if (trimmed.length > MAX_EMAIL_LENGTH) return err(`must be at most ${MAX_EMAIL_LENGTH} characters`);
  const at = trimmed.lastIndexOf("@");
  if (at <= 0) return err("must be an email address such as name@clinic.org");
  const local = trimmed.slice(0, at);
  const domain = trimmed.slice(at + 1).normalize("NFKC");
  if (local.normalize("NFKC") !== local || /[^\x20-\x7e]/.test(local)) {
    return err("must have a plain ASCII part before the @ (no full-width or accented letters)");
  }
  const address = `${local}@${domain}`.toLowerCase();
  if (findInvisible(address) || !ADDRESS.safeParse(address).success) return err("must be an email address such as name@clinic.org");
  return ok(address);
}

/**
 * The one rule for a person's name, whatever its source: NFKC-normalised and trimmed, 1–200 characters, no
 * invisible or text-direction characters (joiners inside a word excepted) and no angle brackets.
 */
export function checkPersonName(value: string): Result<string, string> {
  const invisible = findInvisible(value.replace(JOINER_INSIDE_A_WORD, ""));
  const name = value.normalize("NFKC").trim();
  if (name.length === 0) return err("must not be empty");
  if (name.length > MAX_NAME_LENGTH) return err(`must be at most ${MAX_NAME_LENGTH} characters`);
  if (invisible) return err(`must not contain invisible, control or text-direction characters (found ${invisible})`);
  if (MARKUP.test(name)) return err("must not contain < or >");
  return ok(name);
}

/** The first invisible character as "U+202E", or null. */
function findInvisible(value: string): string | null {
  const found = INVISIBLE.exec(value);
  return found ? `U+${found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` : null;
}

// Suffixes under which anyone can register a name (the public suffix list's best-known two-label entries), and
// mailbox providers shared by the whole world: locking one would let one clinic refuse everybody else's staff.
const SHARED_SUFFIXES = new Set(
  "co.uk org.uk ac.uk gov.uk nhs.uk me.uk ltd.uk plc.uk com.au net.au org.au gov.au edu.au co.nz org.nz co.jp ne.jp or.jp com.br com.mx co.in com.cn com.tw com.hk com.sg co.za com.ar com.tr co.kr co.il com.es com.pl".split(
    " ",
  ),
);
const SHARED_MAILBOX_DOMAINS = new Set(
  "gmail.com googlemail.com outlook.com hotmail.com live.com msn.com yahoo.com icloud.com me.com mac.com aol.com proton.me protonmail.com gmx.com gmx.de gmx.net web.de mail.com yandex.ru mail.ru qq.com 163.com zoho.com fastmail.com hey.com".split(
    " ",
  ),
);
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOP_LEVEL_LABEL = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
export const MAX_DOMAIN_LENGTH = 253;

/**
 * The rule for an email domain a clinic locks: the domain part of checkEmailAddress (NFKC, lower-case, no invisible
 * characters), written as "clinic.org" ("@clinic.org" and a final dot are accepted), ASCII labels (internationalised
 * names in their xn-- form, the form addresses are matched in), at least two labels, and never a public suffix
 * ("com", "co.uk") or a mailbox provider everyone shares ("gmail.com").
 */
export function checkEmailDomain(value: string): Result<string, string> {
  const invisible = findInvisible(value);
  if (invisible) return err(`must not contain invisible or text-direction characters (found ${invisible})`);
  const domain = value.trim().replace(/^@/, "").replace(/\.$/, "").normalize("NFKC").toLowerCase();
  if (domain.length === 0) return err("must not be empty");
  if (domain.length > MAX_DOMAIN_LENGTH) return err(`must be at most ${MAX_DOMAIN_LENGTH} characters`);
  if (domain.includes("@")) return err("must be a domain such as clinic.org, without the part before the @");
  const labels = domain.split(".");
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) {
    return err("must be a domain such as clinic.org: letters, digits and hyphens between dots (xn-- form for accented names)");
  }
  if (labels.length < 2 || !TOP_LEVEL_LABEL.test(labels.at(-1)!))
    return err("must be a whole domain such as clinic.org, not a top-level domain");
  if (SHARED_SUFFIXES.has(domain)) return err("is a public suffix: give your organisation's own domain under it");
  if (SHARED_MAILBOX_DOMAINS.has(domain)) return err("is a public mailbox provider shared by everyone: it cannot be locked to one clinic");
  return ok(domain);
}

/** The domain of an address already normalised by checkEmailAddress. */
export function domainOfEmail(email: string): string {
  return email.slice(email.lastIndexOf("@") + 1);
}

/**
 * The rule for a short free text a person must give, such as why they use break-glass access: NFKC, line breaks
 * as spaces, trimmed, at least `min` and at most `max` characters, no invisible or text-direction characters.
 */
export function checkStatedReason(value: string, min = 8, max = 500): Result<string, string> {
  const text = value.replace(/\r?\n/g, " ").normalize("NFKC").trim();
  if (text.length < min) return err(`must say in a few words why (at least ${min} characters)`);
  if (text.length > max) return err(`must be at most ${max} characters`);
  const invisible = findInvisible(text);
  if (invisible) return err(`must not contain invisible, control or text-direction characters (found ${invisible})`);
  return ok(text);
}
