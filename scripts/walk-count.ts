/**
 * `npm run walk`: which of our own source files one SAML sign-in's ACS post walks through. A measurement, not a test.
 *
 * How:
 *   1. The real app (test/support/harness.ts: loadConfig → openDatabase on a SQLite temp file → migrateToLatest →
 *      buildApp → listen on 127.0.0.1) with one clinic, one member and the independent test IdP connected. Requests log
 *      at info level to a sink, as in production. SAML_WORKERS=0: the response is verified on the main thread, so
 *      one inspector session sees every function the post runs. (With workers, the main thread would run
 *      verification-pool.ts instead of response-verifier.ts, and a worker verification-worker.ts and the same
 *      verification files.)
 *   2. One warm-up SP-initiated sign-in (GET /saml/login, the IdP signs, POST /saml/acs): start-up and first-time code
 *      are out of the way.
 *   3. Files: the next sign-in is started and signed by the IdP, then V8's precise coverage (node:inspector, callCount
 *      and detailed) is read once to reset the counters, the ACS post is made (303 with a session cookie required),
 *      and coverage is read again. A file counts when at least one of its functions was called during the post.
 *   4. Walk: one more sign-in, with a breakpoint on the first statement of every function step 3 saw called, and
 *      async stack traces on. Each hit records the function's file and its caller's file: the nearest src/ frame
 *      below it on the stack, or, past an `await` or a library callback, on the async stack. From these:
 *        - the order in which files are first entered;
 *        - climbs back up: calls whose caller sits in a lower layer than the callee (layers as in
 *          .dependency-cruiser.cjs: web → sign-in → sso, provisioning, sessions → users, clinics, audit… → db;
 *          files at the root of src/ belong to no layer and are never counted as climbing);
 *        - returns to a file left earlier: the walk as a path of files (each hit moves it to the caller's file,
 *          then to the callee's), counting every move into a file the path had already been in.
 *        - for comparison, moves up a layer along that path (mostly a return from a call into a lower layer).
 *      A file the walk enters that step 3 did not see (or the reverse) is printed: both should be the same.
 *   5. The same, for only the function entries with the use case the ACS route calls (USE_CASE) on their stack,
 *      synchronous or async: the walk from the use case, without the web layer's hooks around it.
 *
 * Only functions in src/ are considered; node_modules code between them is walked through, not counted.
 */
import { Session } from "node:inspector";
import { Writable } from "node:stream";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sessionCookieName } from "../src/web/session-cookie.js";
import { givenClinic, givenMember, startTestApp, type TestApp } from "../test/support/harness.js";
import { connectTestIdp, idpResponse, postToAcs, startLogin, type SamlClinic } from "../test/support/saml-flow.js";

const SRC_URL = pathToFileURL(fileURLToPath(new URL("../src/", import.meta.url))).href;
const EMAIL = "walk.member@walk-clinic.example";
/** The use case the ACS route calls: the walk beneath it is reported on its own. */
const USE_CASE = { file: "sign-in/consume-saml-response.ts", name: "consumeSamlResponse" };

// ----------------------------------------------------------------------------------------------- sign-ins

interface Walker {
  t: TestApp;
  s: SamlClinic;
}

async function startWalker(): Promise<Walker> {
  const t = await startTestApp("sqlite", {
    env: { SAML_WORKERS: "0", LOG_LEVEL: "info" },
    logger: { level: "info", stream: new Writable({ write: (_chunk, _encoding, done) => done() }) },
  });
  const clinic = await givenClinic(t);
  await givenMember(t, clinic, { email: EMAIL });
  return { t, s: await connectTestIdp(t, clinic) };
}

/**
 * Starts a sign-in in a fresh browser (no session yet: someone signing in) and has the IdP answer it; the returned
 * function makes the ACS post and checks it signed in.
 */
async function prepareSignIn(w: Walker): Promise<() => Promise<void>> {
  const client = w.t.client();
  const { requestId } = await startLogin(w.t, client, w.s.clinic);
  const samlResponse = await idpResponse(w.s, { email: EMAIL, inResponseTo: requestId, signing: "both", now: new Date() });
  return async () => {
    const res = await postToAcs(w.t, client, w.s.clinic.subdomain, samlResponse);
    const cookies = ([] as string[]).concat(res.headers["set-cookie"] ?? []);
    if (res.status !== 303 || !cookies.some((c) => c.startsWith(`${sessionCookieName(w.t.config)}=`))) {
      throw new Error(`the ACS post did not sign in: ${res.status} ${res.body.slice(0, 300)}`);
    }
  };
}

// ------------------------------------------------------------------------------------------------ inspector

type Params = Record<string, unknown>;

function send<T>(session: Session, method: string, params: Params = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))));
}

interface FunctionCoverage {
  functionName: string;
  ranges: Array<{ startOffset: number; endOffset: number; count: number }>;
}
interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: FunctionCoverage[];
}
interface CalledFunction {
  scriptId: string;
  file: string;
  name: string;
  startOffset: number;
  endOffset: number;
}

/** src/-relative path of a script URL, or null for anything outside src/. */
function srcFile(url: string | undefined): string | null {
  if (!url?.startsWith(SRC_URL)) return null;
  return url.slice(SRC_URL.length).split("?")[0] ?? null;
}

/** Every src/ function called during `post`, by precise coverage: counters reset right before, read right after. */
async function calledDuring(session: Session, post: () => Promise<void>): Promise<CalledFunction[]> {
  await send(session, "Profiler.takePreciseCoverage");
  await post();
  const { result } = await send<{ result: ScriptCoverage[] }>(session, "Profiler.takePreciseCoverage");
  const called: CalledFunction[] = [];
  for (const script of result) {
    const file = srcFile(script.url);
    if (file === null) continue;
    for (const fn of script.functions) {
      const range = fn.ranges[0];
      if (range === undefined || range.count === 0) continue;
      called.push({ scriptId: script.scriptId, file, name: fn.functionName || "(anonymous)", ...range });
    }
  }
  return called;
}

interface Location {
  scriptId: string;
  lineNumber: number;
  columnNumber?: number;
}
interface Hit {
  file: string;
  name: string;
  /** The nearest src/ file below this function on the stack; null when a library or the event loop called it. */
  callerFile: string | null;
  /** Whether the use case is on the stack (or is this function): the hit belongs to the walk beneath it. */
  inUseCase: boolean;
}

/** Line and column of every character offset of a script, and back. */
function positions(source: string) {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  return {
    text: source,
    at(offset: number): { lineNumber: number; columnNumber: number } {
      let line = 0;
      while (line + 1 < lineStarts.length && (lineStarts[line + 1] ?? Infinity) <= offset) line++;
      return { lineNumber: line, columnNumber: offset - (lineStarts[line] ?? 0) };
    },
    offset(location: Location): number {
      return (lineStarts[location.lineNumber] ?? 0) + (location.columnNumber ?? 0);
    },
  };
}

/**
 * The offset of the `)` closing the parameter list of the function that starts at `start` (compiled JavaScript:
 * `async function f(…)`, `(…) =>`, a method `f(…)`), or null when it has none in parentheses (`x => …`, a class's
 * field initialisers) or the text is not understood.
 */
function endOfParameters(text: string, start: number): number | null {
  const open = text.indexOf("(", start);
  if (open < 0 || !/^(async\s*)?(function\b\s*\*?\s*)?((get|set|static)\s+)*\*?[\w$#]*\s*$/.test(text.slice(start, open))) return null;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === "`") {
      // Skips a string literal (escapes included); a default parameter rarely holds more than that.
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === "\\") i++;
    } else if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      depth--;
      if (depth === 0) return c === ")" ? i : null;
    }
  }
  return null;
}

/**
 * The src/ files and function names on the stack at a pause, nearest first: the synchronous stack, then the async
 * one (past awaits). Debugger call frames carry no URL here, only a script id: `urls` maps one to the other.
 */
function stackAt(params: Params, urls: Map<string, string>): Array<{ file: string; name: string }> {
  type Frame = { functionName: string; scriptId?: string; location?: { scriptId: string } };
  type AsyncTrace = { callFrames: Frame[]; parent?: AsyncTrace };
  const frames = [...(params.callFrames as Frame[])];
  for (let trace = params.asyncStackTrace as AsyncTrace | undefined; trace; trace = trace.parent) frames.push(...trace.callFrames);
  return frames.flatMap((frame) => {
    const file = srcFile(urls.get(frame.location?.scriptId ?? frame.scriptId ?? ""));
    return file === null ? [] : [{ file, name: frame.functionName }];
  });
}

/** Breaks on the first statement of each function, makes the post, and returns the hits in order. */
async function walkDuring(
  session: Session,
  functions: CalledFunction[],
  post: () => Promise<void>,
): Promise<{ hits: Hit[]; neverEntered: CalledFunction[] }> {
  const urls = new Map<string, string>();
  const onScript = (message: { params: { scriptId: string; url: string } }) => urls.set(message.params.scriptId, message.params.url);
  session.on("Debugger.scriptParsed", onScript);
  await send(session, "Debugger.enable");
  await send(session, "Debugger.setAsyncCallStackDepth", { maxDepth: 128 });
  await send(session, "Debugger.setBreakpointsActive", { active: false });
  const sources = new Map<string, ReturnType<typeof positions>>();
  const targets = new Map<string, CalledFunction>();
  for (const fn of functions) {
    let source = sources.get(fn.scriptId);
    if (source === undefined) {
      const { scriptSource } = await send<{ scriptSource: string }>(session, "Debugger.getScriptSource", { scriptId: fn.scriptId });
      source = positions(scriptSource);
      sources.set(fn.scriptId, source);
    }
    const { locations } = await send<{ locations: Location[] }>(session, "Debugger.getPossibleBreakpoints", {
      start: { scriptId: fn.scriptId, ...source.at(fn.startOffset) },
      end: { scriptId: fn.scriptId, ...source.at(fn.endOffset) },
    });
    // The function's start may be a break location of the function around it (`f(async () => …)`), and a default
    // parameter's initialiser (`now = new Date()`) runs only when the argument is missing: the first location past
    // the parameter list is the function's own first statement (or its implicit return).
    const bodyFrom = endOfParameters(source.text, fn.startOffset) ?? fn.startOffset;
    const first = locations.find((l) => source.offset(l) > bodyFrom);
    if (first === undefined) continue;
    const set = await send<{ breakpointId: string }>(session, "Debugger.setBreakpoint", { location: first }).catch(() => null);
    if (set !== null) targets.set(set.breakpointId, fn);
  }
  const hits: Hit[] = [];
  const entered = new Set<CalledFunction>();
  // A session on its own thread gets `paused` synchronously, while the program waits on this handler.
  const onPaused = (message: { params: Params }) => {
    for (const id of (message.params.hitBreakpoints as string[] | undefined) ?? []) {
      const fn = targets.get(id);
      if (fn === undefined) continue;
      entered.add(fn);
      const stack = stackAt(message.params, urls);
      hits.push({
        file: fn.file,
        name: fn.name,
        callerFile: stack[1]?.file ?? null,
        inUseCase: stack.some((frame) => frame.file === USE_CASE.file && frame.name === USE_CASE.name),
      });
    }
    session.post("Debugger.resume");
  };
  session.on("Debugger.paused", onPaused);
  await send(session, "Debugger.setBreakpointsActive", { active: true });
  try {
    await post();
  } finally {
    await send(session, "Debugger.setBreakpointsActive", { active: false });
    session.off("Debugger.paused", onPaused);
    session.off("Debugger.scriptParsed", onScript);
    await send(session, "Debugger.disable");
  }
  return { hits, neverEntered: functions.filter((fn) => !entered.has(fn)) };
}

// ------------------------------------------------------------------------------------------------ counting

/** Rank of a file's layer, higher calls lower (.dependency-cruiser.cjs); null for the helpers at the root of src/. */
function layerOf(file: string): number | null {
  if (/^(web\/|(app|main|cli)\.ts$)/.test(file)) return 5;
  if (/^(sign-in|demo)\//.test(file)) return 4;
  if (/^(sso|provisioning|sessions)\//.test(file)) return 3;
  if (/^(users|clinics|audit|rooms|waiting-room|notifications)\//.test(file)) return 2;
  if (/^db\//.test(file)) return 1;
  return null;
}

function folderOf(file: string): string {
  const parts = file.split("/");
  if (parts.length === 1) return "(src/)";
  if (parts[0] === "sso" && parts.length > 2) return `${parts[0]}/${parts[1]}/`;
  return `${parts[0]}/`;
}

function printFiles(functions: CalledFunction[]): Set<string> {
  const byFile = new Map<string, Set<string>>();
  for (const fn of functions) byFile.set(fn.file, (byFile.get(fn.file) ?? new Set()).add(fn.name));
  const files = [...byFile.keys()].sort();
  const folders = [...new Set(files.map(folderOf))].sort();
  console.log("src/ files with at least one function called during the measured ACS post:");
  for (const folder of folders) {
    const inFolder = files.filter((f) => folderOf(f) === folder);
    console.log(`  ${folder} (${inFolder.length})`);
    for (const file of inFolder) console.log(`    ${file}  [${[...(byFile.get(file) ?? [])].sort().join(", ")}]`);
  }
  const belowWeb = files.filter((f) => layerOf(f) !== 5);
  console.log(`files below web/ (not web/, app.ts, main.ts): ${belowWeb.length}`);
  console.log(`files in total: ${files.length}`);
  return new Set(files);
}

function printWalk(title: string, hits: Hit[]): Set<string> {
  const firstEntry: Hit[] = [];
  const entered = new Set<string>();
  const climbs: string[] = [];
  const returns: string[] = [];
  const upward: string[] = [];
  let position: string | null = null;
  const moveTo = (file: string) => {
    if (file === position) return;
    if (entered.has(file)) returns.push(`${position} → ${file}`);
    const [to, from] = [layerOf(file), position === null ? null : layerOf(position)];
    if (to !== null && from !== null && from < to) upward.push(`${position} → ${file}`);
    position = file;
    entered.add(file);
  };
  for (const hit of hits) {
    if (hit.callerFile !== null) moveTo(hit.callerFile);
    if (!entered.has(hit.file)) firstEntry.push(hit);
    moveTo(hit.file);
    const [callee, caller] = [layerOf(hit.file), hit.callerFile === null ? null : layerOf(hit.callerFile)];
    if (callee !== null && caller !== null && caller < callee) climbs.push(`${hit.callerFile} → ${hit.file} (${hit.name})`);
  }
  console.log(`${title} (${hits.length} function entries), ${firstEntry.length} files, in order of first entry:`);
  firstEntry.forEach((e, i) =>
    console.log(`  ${String(i + 1).padStart(2)}. ${e.file}  ← ${e.callerFile ?? "(library or event loop)"}, via ${e.name}`),
  );
  console.log(`climbs back up (calls from a lower layer into a higher one): ${climbs.length}`);
  for (const climb of new Set(climbs)) console.log(`    ${climb}`);
  console.log(
    `moves up a layer along the path (returns from a lower layer, and climbing calls): ${upward.length}, ${new Set(upward).size} distinct (from → to)`,
  );
  console.log(`returns to a file the walk had left: ${returns.length} moves, ${new Set(returns).size} distinct (from → to)`);
  return entered;
}

// ---------------------------------------------------------------------------------------------------- main

const walker = await startWalker();
const session = new Session();
session.connect();
try {
  await send(session, "Profiler.enable");
  await send(session, "Profiler.startPreciseCoverage", { callCount: true, detailed: true });
  await (
    await prepareSignIn(walker)
  )();
  const called = await calledDuring(session, await prepareSignIn(walker));
  const counted = printFiles(called);
  await send(session, "Profiler.stopPreciseCoverage");
  console.log("");
  const { hits, neverEntered } = await walkDuring(session, called, await prepareSignIn(walker));
  const entered = printWalk("walk of a further sign-in's ACS post", hits);
  const onlyWalked = [...entered].filter((f) => !counted.has(f));
  const onlyCounted = [...counted].filter((f) => !entered.has(f));
  console.log(
    onlyWalked.length + onlyCounted.length === 0
      ? "the walk entered exactly the files counted above"
      : `differences from the count above: walk only [${onlyWalked.join(", ")}], count only [${onlyCounted.join(", ")}]`,
  );
  console.log(
    `functions called in the counted post that the walk never saw entered: ${neverEntered.length}` +
      neverEntered.map((fn) => `\n    ${fn.file} ${fn.name}`).join(""),
  );
  console.log("");
  printWalk(
    `the same walk beneath ${USE_CASE.name} (${USE_CASE.file})`,
    // The use case's own caller (the route) is outside the walk beneath it.
    hits
      .filter((hit) => hit.inUseCase)
      .map((hit) => (hit.file === USE_CASE.file && hit.name === USE_CASE.name ? { ...hit, callerFile: null } : hit)),
  );
} finally {
  session.disconnect();
  await walker.t.close();
}
