/**
 * The worker-pool part of `npm run bench`: verification off the event loop, across cores.
 *
 * - scaling: validations/s of a saturated pool of 1 and of 2 workers, in alternating rounds (target: 2 ≥ 1.7 × 1);
 * - event loop under attack: the main thread's worst event-loop delay (perf_hooks.monitorEventLoopDelay) while a
 *   stream of hostile and invalid-signature responses runs through the pool and legitimate ones are verified beside
 *   it (target ≤ 50 ms); the same stream verified on the main thread (SAML_WORKERS=0) is shown for contrast;
 * - soak: RSS growth of the whole process (main thread and workers) over 100,000 validations (quick: at most 5,000
 *   or 20 s, whichever comes first; the line says how many).
 */
import { availableParallelism } from "node:os";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { verifyOnThisThread, VerifierBusyError, type ResponseVerifier } from "../src/sso/saml/response-verifier.js";
import { startVerificationPool } from "../src/sso/saml/verification-pool.js";
import type { VerifySamlResponseInput } from "../src/sso/saml/verify-response.js";

export interface WorkerBenchSetup {
  quick: boolean;
  /** A genuine both-signed response every verification accepts. */
  legit: string;
  /** Responses the pre-parse guard refuses (size, nesting, DOCTYPE). */
  hostile: string[];
  /** A well-formed response signed by a key the connection does not trust: the full verification cost, then refused. */
  invalidSignature: string;
  /** The verification input for a posted response (trust, SP, clock), as the ACS builds it. */
  inputFor(samlResponse: string): VerifySamlResponseInput;
}

export interface WorkerFigures {
  workerScaling: number;
  maxEventLoopDelayMs: number;
  rssGrowthMb: number;
}

const SCALING_TARGET = 1.7;
const EVENT_LOOP_TARGET_MS = 50;
const RSS_TARGET_MB = 50;
// The production queue: 64 waiting per worker (src/app.ts).
const QUEUE_PER_WORKER = 64;

export async function benchWorkers(setup: WorkerBenchSetup): Promise<WorkerFigures> {
  const cores = availableParallelism();
  console.log(`worker pool (piscina), ${cores} cores:`);
  // The soak first, on a settled heap: pools closed by the other parts would shrink RSS under it.
  const rssGrowthMb = await measureSoak(setup, cores);
  const workerScaling = await measureScaling(setup);
  const maxEventLoopDelayMs = await measureEventLoopUnderAttack(setup, cores);
  console.log("");
  return { workerScaling, maxEventLoopDelayMs, rssGrowthMb };
}

// ---------------------------------------------------------------------------------------------- scaling

async function measureScaling(setup: WorkerBenchSetup): Promise<number> {
  const rounds = setup.quick ? 3 : 6;
  const roundMs = setup.quick ? 1_500 : 3_000;
  const pools = { 1: startPool(1), 2: startPool(2) };
  const input = setup.inputFor(setup.legit);
  try {
    // Warm both pools (module load, JIT, the per-thread KeyObject cache) before anything is counted.
    for (const pool of Object.values(pools)) await saturate(pool, input, 4, setup.quick ? 500 : 1_500);
    const totals = { 1: { calls: 0, ms: 0 }, 2: { calls: 0, ms: 0 } };
    for (let round = 0; round < rounds; round++) {
      for (const size of [1, 2] as const) {
        const done = await saturate(pools[size], input, size * 4, roundMs);
        totals[size].calls += done.calls;
        totals[size].ms += done.ms;
      }
    }
    const one = (totals[1].calls * 1000) / totals[1].ms;
    const two = (totals[2].calls * 1000) / totals[2].ms;
    const scaling = two / one;
    console.log(
      `  scaling, both-signed, ${rounds} alternating rounds of ${roundMs} ms: 1 worker ${one.toFixed(0)}/s, 2 workers ${two.toFixed(0)}/s, ` +
        `ratio ${scaling.toFixed(2)}x (target ≥ ${SCALING_TARGET}x: ${scaling >= SCALING_TARGET ? "PASS" : "FAIL"})`,
    );
    return scaling;
  } finally {
    await Promise.all(Object.values(pools).map((pool) => pool.close()));
  }
}

function startPool(workers: number): ResponseVerifier {
  return startVerificationPool({ workers, queueLimit: workers * QUEUE_PER_WORKER });
}

/** Keeps `concurrency` verifications of `input` in flight for `ms`; counts the accepted ones. */
async function saturate(pool: ResponseVerifier, input: VerifySamlResponseInput, concurrency: number, ms: number) {
  const started = performance.now();
  let calls = 0;
  const lane = async () => {
    while (performance.now() - started < ms) {
      const verified = await pool.verify(input);
      if (!verified.ok) throw new Error(`the bench's genuine response was refused: ${verified.error.code}`);
      calls += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return { calls, ms: performance.now() - started };
}

// ------------------------------------------------------------------------------------- event loop delay

async function measureEventLoopUnderAttack(setup: WorkerBenchSetup, workers: number): Promise<number> {
  const ms = setup.quick ? 4_000 : 12_000;
  const pool = startPool(workers);
  try {
    await saturate(pool, setup.inputFor(setup.legit), workers, 300);
    const inPool = await underAttack(pool, setup, ms);
    console.log(
      `  event loop under attack, ${workers} workers, ${(ms / 1000).toFixed(0)} s: max delay ${inPool.maxDelayMs.toFixed(1)} ms ` +
        `(target ≤ ${EVENT_LOOP_TARGET_MS} ms: ${inPool.maxDelayMs <= EVENT_LOOP_TARGET_MS ? "PASS" : "FAIL"}); ${inPool.attacks} attack posts ` +
        `(${inPool.busy} answered 503), ${inPool.legit} genuine verified, their latency p50 ${inPool.legitP50Ms.toFixed(1)} ms p99 ${inPool.legitP99Ms.toFixed(1)} ms`,
    );
    const onMain = await underAttack(verifyOnThisThread(), setup, Math.min(ms, 3_000));
    console.log(
      `  the same on the main thread (SAML_WORKERS=0), for contrast: max delay ${onMain.maxDelayMs.toFixed(1)} ms, ` +
        `genuine latency p99 ${onMain.legitP99Ms.toFixed(1)} ms`,
    );
    return inPool.maxDelayMs;
  } finally {
    await pool.close();
  }
}

/**
 * Attack lanes post hostile and invalid-signature responses back to back (a flood that always has more in flight
 * than workers); one lane verifies genuine responses one after another, as sign-ins arriving during the flood.
 */
async function underAttack(verifier: ResponseVerifier, setup: WorkerBenchSetup, ms: number) {
  const attackInputs = [...setup.hostile, setup.invalidSignature, setup.invalidSignature].map((r) => setup.inputFor(r));
  const legitInput = setup.inputFor(setup.legit);
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const started = performance.now();
  let attacks = 0;
  let busy = 0;
  const legitMs: number[] = [];
  const attackLane = async (offset: number) => {
    for (let i = offset; performance.now() - started < ms; i++) {
      attacks += 1;
      try {
        const verdict = await verifier.verify(attackInputs[i % attackInputs.length]!);
        if (verdict.ok) throw new Error("an attack input was accepted");
      } catch (error) {
        if (!(error instanceof VerifierBusyError)) throw error;
        busy += 1;
        // Refused at once: yield, as a new request would arrive on a later turn of the loop.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  };
  const legitLane = async () => {
    while (performance.now() - started < ms) {
      const sent = performance.now();
      const verdict = await verifier.verify(legitInput);
      if (!verdict.ok) throw new Error(`a genuine response was refused under attack: ${verdict.error.code}`);
      legitMs.push(performance.now() - sent);
    }
  };
  histogram.enable();
  await Promise.all([...Array.from({ length: 16 }, (_, lane) => attackLane(lane)), legitLane()]);
  // One more turn of the loop, so that a stall at the very end (the main-thread run is one long stall) is recorded.
  await new Promise((resolve) => setTimeout(resolve, 5));
  histogram.disable();
  legitMs.sort((a, b) => a - b);
  return {
    maxDelayMs: histogram.max / 1e6,
    attacks,
    busy,
    legit: legitMs.length,
    legitP50Ms: percentile(legitMs, 50),
    legitP99Ms: percentile(legitMs, 99),
  };
}

function percentile(sorted: number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

// ------------------------------------------------------------------------------------------------- soak

async function measureSoak(setup: WorkerBenchSetup, workers: number): Promise<number> {
  const total = setup.quick ? 5_000 : 100_000;
  const budgetMs = setup.quick ? 20_000 : Infinity;
  const warmUp = 1_000;
  // Mostly genuine responses (the most allocation per call), with invalid signatures and hostile input mixed in.
  const inputs = [setup.legit, setup.legit, setup.legit, setup.invalidSignature, setup.hostile[0] ?? setup.legit].map((r) =>
    setup.inputFor(r),
  );
  const pool = startPool(workers);
  try {
    await run(pool, inputs, warmUp, workers * 4, Infinity);
    const collect = mainThreadGc();
    collect();
    const before = process.memoryUsage.rss();
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 250);
    const started = performance.now();
    const done = await run(pool, inputs, total, workers * 4, budgetMs);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    collect();
    const after = process.memoryUsage.rss();
    const growthMb = (after - before) / (1024 * 1024);
    const mb = (bytes: number) => (bytes / 1048576).toFixed(0);
    console.log(
      `  soak: ${done.toLocaleString("en")} validations${setup.quick ? " (quick mode; the full run does 100,000)" : ""} on ${workers} workers ` +
        `in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(0)}/s), RSS ${mb(before)} → ${mb(after)} MB (peak ${mb(peak)}), ` +
        `growth ${growthMb.toFixed(1)} MB (target ≤ ${RSS_TARGET_MB} MB: ${growthMb <= RSS_TARGET_MB ? "PASS" : "FAIL"})`,
    );
    return growthMb;
  } finally {
    await pool.close();
  }
}

/** Up to `count` verifications over `inputs` in turn, `concurrency` at a time, within `budgetMs`; how many ran. */
async function run(
  pool: ResponseVerifier,
  inputs: VerifySamlResponseInput[],
  count: number,
  concurrency: number,
  budgetMs: number,
): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < count && performance.now() - started < budgetMs) {
      const i = next++;
      await pool.verify(inputs[i % inputs.length]!);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return next;
}

/** The main thread's garbage collector, so that RSS is read on a collected heap (the workers collect their own). */
function mainThreadGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}
