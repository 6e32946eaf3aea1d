import { err, ok, type Result } from "../../result.js";

/** One `attribute eq "value"` comparison; a filter is one or more of them joined by `and`. */
export interface EqualityClause {
  attribute: string;
  value: string | boolean;
}

// Long enough for any filter Okta or Entra ID sends; a bound on what is parsed at all.
const MAX_FILTER_LENGTH = 1000;

/**
 * Parses the filters IdPs send to find a person or group before creating one: `attr eq "value"`, optionally
 * several joined by `and`. Attribute names are matched case-insensitively (RFC 7644 §3.4.2.2) against `allowed`;
 * anything else (other operators, `or`, `not`, brackets, an unknown attribute) is refused as invalidFilter.
 */
export function parseEqualityFilter(filter: string, allowed: readonly string[]): Result<EqualityClause[], string> {
  if (filter.length > MAX_FILTER_LENGTH) return err(`The filter is longer than ${MAX_FILTER_LENGTH} characters.`);
  const clauses: EqualityClause[] = [];
  let rest = filter.trim();
  for (;;) {
    const match = /^([A-Za-z][\w.:-]*)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false)\s*/i.exec(rest);
    if (!match) return err(`Only filters of the form attribute eq "value" (joined by and) are supported here: ${JSON.stringify(filter)}.`);
    const attribute = allowed.find((a) => a.toLowerCase() === match[1]!.toLowerCase());
    if (!attribute) return err(`Filtering on ${match[1]} is not supported; use one of ${allowed.join(", ")}.`);
    const literal = match[2]!;
    let value: string | boolean;
    if (literal.startsWith('"')) {
      try {
        value = JSON.parse(literal) as string;
      } catch {
        return err(`The value in ${JSON.stringify(filter)} is not a valid JSON string.`);
      }
    } else value = literal.toLowerCase() === "true";
    clauses.push({ attribute, value });
    rest = rest.slice(match[0].length);
    if (rest === "") return ok(clauses);
    const and = /^and\s+/i.exec(rest);
    if (!and) return err(`Only filters of the form attribute eq "value" (joined by and) are supported here: ${JSON.stringify(filter)}.`);
    rest = rest.slice(and[0].length);
  }
}
