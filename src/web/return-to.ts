/**
 * A local path to send the person to after sign-in, or null. Only paths on the same host are followed:
 * never another origin (`https://evil`, `//evil`, `/\evil`), a scheme (`javascript:`), or control characters.
 */
export function safeReturnPath(value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 512) return null;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return null;
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return null;
  const base = "http://same-host.invalid";
  let parsed: URL;
  try {
    parsed = new URL(value, base);
  } catch {
    return null;
  }
  if (parsed.origin !== base) return null;
  return parsed.pathname + parsed.search + parsed.hash;
}
