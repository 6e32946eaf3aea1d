/**
 * A local path to send the person to after sign-in, or null. Only paths on the same host are followed:
 * never another origin (`https://evil`, `//evil`, `/\evil`, `/.//evil`), a scheme (`javascript:`), or control characters.
 */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 512) return null;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return null;
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return null;
  // URL parsing removes dot segments, so `/.//evil` or `/a/%2e%2e//evil` would come out as `//evil`: refuse them outright.
  if (hasDotSegment(value)) return null;
  const base = "http://same-host.invalid";
  let parsed: URL;
  try {
    parsed = new URL(value, base);
  } catch {
    return null;
  }
  if (parsed.origin !== base) return null;
  const path = parsed.pathname + parsed.search + parsed.hash;
  // What is sent in the Location header is the normalised value: it must still be a path on this host.
  if (path.startsWith("//") || path.startsWith("/\\")) return null;
  return path;
}

/** True when a path segment is `.` or `..`, written plainly or percent-encoded (`%2e`, `.%2E`, …). */
function hasDotSegment(value: string): boolean {
  const path = value.split(/[?#]/, 1)[0]!;
  return path.split("/").some((segment) => /^(\.|%2e){1,2}$/i.test(segment));
}
