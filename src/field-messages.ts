import type { ZodError } from "zod";

/** Turns a zod failure into one message per field, e.g. { seats: "must be at least 1" }. */
export function fieldMessages(error: ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.join(".") : "body";
    if (issue.code === "unrecognized_keys") {
      for (const k of issue.keys) fields[k] ??= "is not a known field";
      continue;
    }
    fields[key] ??= issue.message;
  }
  return fields;
}
