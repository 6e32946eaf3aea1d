// A verification worker thread's task: the pre-parse guard, one parse, the signature and every rule, as
// verifySamlResponse does on any thread. Certificates' KeyObjects are cached per thread (enveloped-signature.ts).
import { readPostedInResponseTo } from "./response-facts.js";
import { verifySamlResponse, type VerifySamlResponseInput } from "./verify-response.js";
import type { VerificationOutcome } from "./response-verifier.js";

export default function verifyInWorker(input: VerifySamlResponseInput): Promise<VerificationOutcome> {
  return verifySamlResponse(input);
}

/** Piscina's task name "readInResponseTo": routing a test sign-in's answer, from the posted (unverified) response. */
export function readInResponseTo(samlResponse: string): string | null {
  return readPostedInResponseTo(samlResponse);
}
