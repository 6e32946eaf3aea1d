import { request as httpRequest } from "node:http";

export interface UploadPart {
  filename: string;
  content: Buffer | string;
  type?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = any>(): T;
  location: string | null;
}

/**
 * A small browser stand-in for Node tests: it connects to 127.0.0.1 but sends the URL's real Host header
 * (so clinic subdomains work without DNS) and keeps host-only cookies, one jar per host, as a browser does.
 * Like Chromium on localhost (a potentially trustworthy origin), it keeps and sends Secure cookies over plain http.
 * Each client can connect from its own loopback address (127.0.0.x), so the app sees distinct client IPs.
 */
export class HttpClient {
  private readonly jars = new Map<string, Map<string, string>>();

  constructor(
    private readonly port: number,
    private readonly localAddress = "127.0.0.1",
  ) {}

  get(url: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    return this.send("GET", url, undefined, headers);
  }

  postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const body = new URLSearchParams(fields).toString();
    return this.send("POST", url, body, { "content-type": "application/x-www-form-urlencoded", ...headers });
  }

  /** A multipart form as Chromium sends it: each file input is a part, an unchosen one with filename="" and no bytes. */
  postMultipart(url: string, parts: Array<[string, string | UploadPart]>, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const boundary = `----TestFormBoundary${Math.random().toString(36).slice(2)}`;
    const chunks: Buffer[] = [];
    for (const [name, value] of parts) {
      const head =
        typeof value === "string"
          ? `Content-Disposition: form-data; name="${name}"`
          : `Content-Disposition: form-data; name="${name}"; filename="${value.filename}"\r\nContent-Type: ${value.type ?? "application/octet-stream"}`;
      chunks.push(Buffer.from(`--${boundary}\r\n${head}\r\n\r\n`));
      chunks.push(Buffer.from(typeof value === "string" ? value : value.content));
      chunks.push(Buffer.from("\r\n"));
    }
    chunks.push(Buffer.from(`--${boundary}--\r\n`));
    return this.send("POST", url, Buffer.concat(chunks), { "content-type": `multipart/form-data; boundary=${boundary}`, ...headers });
  }

  postJson(url: string, value: unknown, headers: Record<string, string> = {}, method = "POST"): Promise<HttpResponse> {
    return this.send(method, url, JSON.stringify(value), { "content-type": "application/json", ...headers });
  }

  cookie(host: string, name: string): string | undefined {
    return this.jars.get(host)?.get(name);
  }

  setCookie(host: string, name: string, value: string): void {
    this.jarFor(host).set(name, value);
  }

  send(method: string, url: string, body: string | Buffer | undefined, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const target = new URL(url);
    const jar = this.jars.get(target.hostname);
    const cookie = jar && jar.size ? [...jar].map(([k, v]) => `${k}=${v}`).join("; ") : undefined;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: "127.0.0.1",
          port: this.port,
          localAddress: this.localAddress,
          method,
          path: target.pathname + target.search,
          headers: { host: target.host, ...(cookie ? { cookie } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            this.storeCookies(target.hostname, res.headers["set-cookie"]);
            const text = Buffer.concat(chunks).toString("utf8");
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: text,
              json: () => JSON.parse(text),
              location: typeof res.headers.location === "string" ? res.headers.location : null,
            });
          });
        },
      );
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  private jarFor(host: string): Map<string, string> {
    let jar = this.jars.get(host);
    if (!jar) this.jars.set(host, (jar = new Map()));
    return jar;
  }

  private storeCookies(host: string, setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const [pair, ...attributes] = line.split(";").map((s) => s.trim());
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (attributes.some((a) => /^domain=/i.test(a)))
        throw new Error(`cookie ${name} has a Domain attribute: it would leak to other hosts`);
      const expired = attributes.some(
        (a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && new Date(a.slice(8)).getTime() < Date.now()),
      );
      if (expired || value === "") this.jarFor(host).delete(name);
      else this.jarFor(host).set(name, value);
    }
  }
}

/** The CSRF token of the first form on a page. */
export function csrfFrom(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error("no CSRF token on the page");
  return match[1]!;
}
