// The real verification worker, with two posted values that a test controls: one holds its worker thread until the
// test opens the gate, one ends the thread as a crash would. Deterministic: no timers, only a shared gate.
import { workerData } from "node:worker_threads";
import verifyInWorker, { readInResponseTo } from "../../src/sso/saml/verification-worker.js";
import type { VerifySamlResponseInput } from "../../src/sso/saml/verify-response.js";

/** Posted as the SAMLResponse: the worker waits until the test calls openGate(). */
export const HOLD_WORKER = "hold-the-worker";
/** Posted as the SAMLResponse: the worker thread exits mid-task. */
export const CRASH_WORKER = "crash-the-worker";

// Node 20 has Atomics.waitAsync; the ES2022 library types do not.
const waitAsync = (Atomics as unknown as { waitAsync(view: Int32Array, index: number, value: number): { value: Promise<string> | string } })
  .waitAsync;

// [0]: 0 while closed, 1 once open. [1]: how many tasks are being held right now.
const HELD = 1;

/** A gate shared with the worker threads, passed as the pool's workerData. */
export function createGate(): {
  workerData: { gate: SharedArrayBuffer };
  whenHeld(count?: number): Promise<void>;
  open(): void;
  close(): void;
} {
  const gate = new SharedArrayBuffer(8);
  const view = new Int32Array(gate);
  return {
    workerData: { gate },
    async whenHeld(count = 1) {
      for (let held = Atomics.load(view, HELD); held < count; held = Atomics.load(view, HELD)) {
        await waitAsync(view, HELD, held).value;
      }
    },
    open() {
      Atomics.store(view, 0, 1);
      Atomics.notify(view, 0);
    },
    close() {
      Atomics.store(view, 0, 0);
    },
  };
}

export default async function verifyBehindGate(input: VerifySamlResponseInput) {
  if (input.samlResponse === CRASH_WORKER) process.exit(1);
  if (input.samlResponse === HOLD_WORKER) {
    const view = new Int32Array((workerData as { gate: SharedArrayBuffer }).gate);
    Atomics.add(view, HELD, 1);
    Atomics.notify(view, HELD);
    Atomics.wait(view, 0, 0);
    Atomics.sub(view, HELD, 1);
  }
  return verifyInWorker(input);
}

export { readInResponseTo };
