import { timingSafeEqual } from "node:crypto";
import { sha256Hex } from "../ids.js";

/** Whether an Authorization header carries this bearer token; digests are compared, in the same time whatever was sent. */
export function isBearerToken(header: string | undefined, expected: string): boolean {
  const match = /^Bearer ([^\s]+)$/.exec(header ?? "");
  if (!match) return false;
  return timingSafeEqual(Buffer.from(sha256Hex(match[1]!), "hex"), Buffer.from(sha256Hex(expected), "hex"));
}
