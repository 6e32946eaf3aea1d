import type { Element } from "@xmldom/xmldom";
import { quoteValue, samlFailure, type SamlResult } from "./failure.js";
import { fullText, isElement } from "./saml-xml.js";

/**
 * The refusals node-saml 5.1 makes on a signed assertion that our own rules (assertion-rules.ts) do not,
 * so that a response node-saml would refuse is refused here too. node-saml reads the assertion through
 * xml2js with prefixes stripped: elements are matched by local name in any namespace, text is untrimmed.
 */
export function checkAsNodeSamlReadsIt(
  assertion: Element,
  spEntityId: string,
  clock: { nowMs: number; clockSkewMs: number },
): SamlResult<null> {
  const conditions = childrenNamed(assertion, "Conditions");
  if (conditions.length > 1) return refused("the assertion has more than one Conditions element");
  const issueInstant = () => parsesAsDate(assertion.getAttribute("IssueInstant"));
  const [condition] = conditions;
  // node-saml derives the assertion's age limit from Conditions NotOnOrAfter and IssueInstant, and throws if either does not parse.
  if (condition && condition.attributes.length > 0) {
    if (!parsesAsDate(condition.getAttribute("NotOnOrAfter")) || !issueInstant()) {
      return refused("Conditions has no readable NotOnOrAfter, or the assertion no readable IssueInstant");
    }
    if (condition.hasAttribute("NotBefore") && !parsesAsDate(condition.getAttribute("NotBefore")))
      return refused("Conditions NotBefore is not a date");
  }
  const confirmations = checkConfirmationDates(assertion, clock, issueInstant);
  if (!confirmations.ok) return confirmations;
  if (condition === undefined) return refused("the assertion has no Conditions");
  const audience = checkAudienceExactly(condition, spEntityId);
  if (!audience.ok) return audience;
  const attributes = childrenNamed(assertion, "AttributeStatement").flatMap((s) => childrenNamed(s, "Attribute"));
  // node-saml reads each valued Attribute's Name and fails on one without any attribute at all.
  if (attributes.some((a) => a.attributes.length === 0 && childrenNamed(a, "AttributeValue").length > 0)) {
    return refused("an Attribute with values has no Name");
  }
  return { ok: true, value: null };
}

// node-saml looks for the first confirmation whose data is in time, and throws on unreadable dates on the way there.
function checkConfirmationDates(
  assertion: Element,
  clock: { nowMs: number; clockSkewMs: number },
  issueInstant: () => boolean,
): SamlResult<null> {
  const [subject] = childrenNamed(assertion, "Subject");
  for (const confirmation of subject ? childrenNamed(subject, "SubjectConfirmation") : []) {
    const [data] = childrenNamed(confirmation, "SubjectConfirmationData");
    if (!data || data.attributes.length === 0) continue;
    const notOnOrAfter = dateOf(data.getAttribute("NotOnOrAfter"));
    const notBefore = data.hasAttribute("NotBefore") ? dateOf(data.getAttribute("NotBefore")) : null;
    if (Number.isNaN(notOnOrAfter) || Number.isNaN(notBefore) || !issueInstant()) {
      return refused("a SubjectConfirmationData has an unreadable NotBefore or NotOnOrAfter, or the assertion no readable IssueInstant");
    }
    const started = notBefore === null || clock.nowMs + clock.clockSkewMs >= notBefore;
    if (started && clock.nowMs - clock.clockSkewMs < notOnOrAfter) break;
  }
  return { ok: true, value: null };
}

// Every AudienceRestriction must have a first Audience with a value, and one Audience exactly (untrimmed) ours.
function checkAudienceExactly(conditions: Element, spEntityId: string): SamlResult<null> {
  const restrictions = childrenNamed(conditions, "AudienceRestriction");
  if (restrictions.length === 0)
    return samlFailure("wrong_audience", `The assertion has no AudienceRestriction, expected ${quoteValue(spEntityId)}`);
  for (const restriction of restrictions) {
    const audiences = childrenNamed(restriction, "Audience").map(fullText);
    if (!audiences[0] || !audiences.includes(spEntityId)) {
      return samlFailure(
        "wrong_audience",
        `Audience was ${audiences.map((a) => quoteValue(a)).join(", ") || "(none)"}, expected exactly ${quoteValue(spEntityId)}`,
      );
    }
  }
  return { ok: true, value: null };
}

function childrenNamed(parent: Element, localName: string): Element[] {
  const found: Element[] = [];
  for (let node = parent.firstChild; node !== null; node = node.nextSibling) {
    if (isElement(node) && node.localName === localName) found.push(node);
  }
  return found;
}

function dateOf(value: string | null): number {
  return value === null ? Number.NaN : Date.parse(value);
}

function parsesAsDate(value: string | null): boolean {
  return !Number.isNaN(dateOf(value));
}

function refused(detail: string) {
  return samlFailure("malformed_response", `The signed assertion cannot be read: ${detail}`);
}
