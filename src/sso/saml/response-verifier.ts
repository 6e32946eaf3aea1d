import { readPostedInResponseTo } from "./response-facts.js";
import { verifySamlResponse, type VerifySamlResponseInput } from "./verify-response.js";

/** What verifySamlResponse answers, as plain data (it crosses a thread boundary by structured clone). */
export type VerificationOutcome = Awaited<ReturnType<typeof verifySamlResponse>>;

/** Verifies posted SAMLResponses: in worker threads (verification-pool.ts), or on the calling thread. */
export interface ResponseVerifier {
  verify(input: VerifySamlResponseInput): Promise<VerificationOutcome>;
  /** The Response's InResponseTo as posted, unverified (response-facts.ts): parsing hostile XML is the verifier's job too. */
  readPostedInResponseTo(samlResponse: string): Promise<string | null>;
  /** Verifications waiting for a thread plus those running: a gauge for operators and tests. */
  readonly inFlight: number;
  close(): Promise<void>;
}

/**
 * Every worker is busy and the queue is full: an outage of capacity, not a verdict on the message. Thrown before
 * anything about the attempt is read or written, so the ACS answers "try again" and records nothing.
 */
export class VerifierBusyError extends Error {
  readonly code = "SAML_VERIFIER_BUSY";
  constructor(readonly retryAfterSeconds: number) {
    super("Every SAML verification worker is busy and the queue is full");
    this.name = "VerifierBusyError";
  }
}

/** SAML_WORKERS=0: verification on the calling thread, unbounded (the event loop is the queue). */
export function verifyOnThisThread(): ResponseVerifier {
  let inFlight = 0;
  const counted = async <T>(work: () => T | Promise<T>): Promise<T> => {
    inFlight += 1;
    try {
      return await work();
    } finally {
      inFlight -= 1;
    }
  };
  return {
    verify: (input) => counted(() => verifySamlResponse(input)),
    readPostedInResponseTo: (samlResponse) => counted(() => readPostedInResponseTo(samlResponse)),
    get inFlight() {
      return inFlight;
    },
    close: async () => {},
  };
}
