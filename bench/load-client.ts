/**
 * The browsers of the end-to-end bench, in a process of their own (forked by end-to-end.ts), so that the server's
 * event loop does only the server's work, as it would behind real browsers. It makes the requests it is told to,
 * `concurrency` at a time on keep-alive sockets, and answers what each returned and how long it took.
 *
 * Messages in:  { kind: "starts", port, loginUrl, count, concurrency }
 *               { kind: "posts", port, acsUrl, sessionCookie, posts: [{ binding, body }], concurrency }
 * Messages out: { kind: "started", results: [{ location, binding, ms }], elapsedMs, cpuMs }
 *               { kind: "posted", results: [{ ok, ms }], elapsedMs, cpuMs }
 * Reading the AuthnRequest out of the redirect, and form-encoding the response, are the IdP's part: done by the
 * caller, untimed. What is timed here is the browsers' HTTP, and cpuMs is what it cost this process.
 */
import { Agent, request as httpRequest } from "node:http";

export type LoadCommand =
  | { kind: "starts"; port: number; loginUrl: string; count: number; concurrency: number }
  | {
      kind: "posts";
      port: number;
      acsUrl: string;
      sessionCookie: string;
      /** The browser's cookie, and the form body the IdP's auto-post page would send (SAMLResponse, url-encoded). */
      posts: Array<{ binding: string; body: string }>;
      concurrency: number;
    };

export type LoadAnswer =
  | { kind: "started"; results: Array<{ location: string; binding: string; ms: number }>; elapsedMs: number; cpuMs: number }
  | { kind: "posted"; results: Array<{ ok: boolean; ms: number }>; elapsedMs: number; cpuMs: number }
  | { kind: "failed"; message: string };

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

interface Answer {
  status: number;
  location: string | null;
  cookies: Map<string, string>;
}

/** One request to 127.0.0.1 with the URL's own Host header (clinic subdomains without DNS), on a keep-alive socket. */
function send(port: number, method: string, url: string, body: string | null, headers: Record<string, string>): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, agent, method, path: target.pathname + target.search, headers: { host: target.host, ...headers } },
      (res) => {
        res.resume();
        res.on("end", () => {
          const cookies = new Map<string, string>();
          for (const line of res.headers["set-cookie"] ?? []) {
            const pair = line.split(";")[0] ?? "";
            const eq = pair.indexOf("=");
            if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
          }
          const location = typeof res.headers.location === "string" ? res.headers.location : null;
          resolve({ status: res.statusCode ?? 0, location, cookies });
        });
      },
    );
    req.on("error", reject);
    if (body !== null) req.end(body);
    else req.end();
  });
}

/** Runs task(0..count-1) with at most `concurrency` in flight; results in index order. */
async function inParallel<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}

async function runStarts(command: Extract<LoadCommand, { kind: "starts" }>): Promise<LoadAnswer> {
  const began = performance.now();
  const cpu = process.cpuUsage();
  const results = await inParallel(command.count, command.concurrency, async () => {
    const sent = performance.now();
    // A new browser each time: no cookies sent, so each start gets its own binding.
    const res = await send(command.port, "GET", command.loginUrl, null, {});
    const ms = performance.now() - sent;
    const binding = res.cookies.get("sso-binding");
    if (res.status !== 302 || res.location === null || binding === undefined) throw new Error(`start answered ${res.status}`);
    return { location: res.location, binding, ms };
  });
  return { kind: "started", results, elapsedMs: performance.now() - began, cpuMs: cpuMsSince(cpu) };
}

async function runPosts(command: Extract<LoadCommand, { kind: "posts" }>): Promise<LoadAnswer> {
  const began = performance.now();
  const cpu = process.cpuUsage();
  const results = await inParallel(command.posts.length, command.concurrency, async (i) => {
    const post = command.posts[i]!;
    const sent = performance.now();
    const res = await send(command.port, "POST", command.acsUrl, post.body, {
      "content-type": "application/x-www-form-urlencoded",
      cookie: `sso-binding=${post.binding}`,
    });
    // Signed in: sent on to the page asked for, with a session cookie.
    const ok = res.status === 303 && res.location === "/dashboard" && res.cookies.has(command.sessionCookie);
    return { ok, ms: performance.now() - sent };
  });
  return { kind: "posted", results, elapsedMs: performance.now() - began, cpuMs: cpuMsSince(cpu) };
}

function cpuMsSince(before: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}

process.on("message", (command: LoadCommand) => {
  const run = command.kind === "starts" ? runStarts(command) : runPosts(command);
  run.then(
    (answer) => process.send!(answer),
    (error: unknown) =>
      process.send!({ kind: "failed", message: error instanceof Error ? error.message : String(error) } satisfies LoadAnswer),
  );
});
process.on("disconnect", () => {
  agent.destroy();
  process.exit(0);
});
