import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { Piscina } from "piscina";
import type { VerifySamlResponseInput } from "./verify-response.js";
import { VerifierBusyError, type ResponseVerifier, type VerificationOutcome } from "./response-verifier.js";

export interface VerificationPoolOptions {
  /** Worker threads, at least 1; each verifies one response at a time. */
  workers: number;
  /** Verifications that may wait for a free worker; the next one is refused with VerifierBusyError. */
  queueLimit: number;
  /** Another worker module exporting the same default function (tests wrap the real one). */
  workerFile?: URL;
  /** Handed to each worker thread as workerData. */
  workerData?: unknown;
  /** A worker failed outside any verification (the pool replaces it): for the log. */
  onWorkerError?: (error: Error) => void;
}

// A refused burst comes back after a verification's worth of queue has drained; one second is hundreds of them.
const RETRY_AFTER_SECONDS = 1;
// A verification needs a few MB; a runaway thread dies alone, well before the process would.
const WORKER_HEAP_LIMIT_MB = 128;
// Each worker holds the next verification besides the one it runs, so it starts it without waiting for the main
// thread to hand it over (measured: a busy event loop left the workers idle, and a verification waited ~50 ms on
// average at 32 sign-ins at once). The cost: a worker that dies takes two verifications with it, not one.
const TASKS_PER_WORKER = 2;
// Linux thread priority (piscina applies it through @napi-rs/nice, where available): 5 weighs ~1/3 of the main thread.
const WORKER_NICE_INCREMENT = 5;

/** A pool of worker threads verifying SAMLResponses, with a bounded queue in front of it. */
export interface VerificationPool extends ResponseVerifier {
  /** The live worker threads (a crashed one is replaced on the next verification). */
  readonly threads: readonly Worker[];
}

/**
 * Starts the worker threads now, so the first sign-in does not pay for loading the verifier. The module next to this
 * one is the worker: verification-worker.ts under tsx, verification-worker.js once compiled to dist/.
 */
export function startVerificationPool(options: VerificationPoolOptions): VerificationPool {
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`workers must be at least 1, got ${options.workers}`);
  if (!Number.isInteger(options.queueLimit) || options.queueLimit < 0) {
    throw new RangeError(`queueLimit must be 0 or more, got ${options.queueLimit}`);
  }
  const ownExtension = extname(fileURLToPath(import.meta.url));
  const workerFile = options.workerFile ?? new URL(`./verification-worker${ownExtension}`, import.meta.url);
  const pool = new Piscina<VerifySamlResponseInput | string, VerificationOutcome | string | null>({
    filename: workerFile.href,
    minThreads: options.workers,
    maxThreads: options.workers,
    // The bound is ours (below), counted from the moment a verification is asked for: the pool's own is not reached.
    maxQueue: Infinity,
    concurrentTasksPerWorker: TASKS_PER_WORKER,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_LIMIT_MB },
    // Under a flood the main thread (HTTP, the database, every other page) is scheduled ahead of the verifiers.
    niceIncrement: WORKER_NICE_INCREMENT,
    workerData: options.workerData,
  });
  // A worker failing mid-task rejects that task; failing between tasks, it is reported here and replaced. Unhandled,
  // this 'error' event would end the whole process.
  pool.on("error", (error: Error) => options.onWorkerError?.(error));
  const capacity = options.workers + options.queueLimit;
  let inFlight = 0;
  const run = async (task: VerifySamlResponseInput | string, name: "default" | "readInResponseTo") => {
    // A flood of posts waits here no longer than the queue allows: beyond it, the sender is told to come back.
    if (inFlight >= capacity) throw new VerifierBusyError(RETRY_AFTER_SECONDS);
    inFlight += 1;
    try {
      return await pool.run(task, { name });
    } finally {
      inFlight -= 1;
    }
  };
  return {
    verify: async (input) => (await run(input, "default")) as VerificationOutcome,
    readPostedInResponseTo: async (samlResponse) => (await run(samlResponse, "readInResponseTo")) as string | null,
    get inFlight() {
      return inFlight;
    },
    get threads() {
      return pool.threads;
    },
    close: () => pool.close({ force: false }),
  };
}
