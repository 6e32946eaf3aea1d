import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP } from "node:net";
import { err, ok, type Result } from "../../result.js";
import { MAX_METADATA_BYTES } from "./idp-metadata.js";

export const METADATA_TIMEOUT_MS = 5000;
const MAX_REDIRECTS = 3;

export interface FetchPolicy {
  /** Development only: http URLs and addresses on this machine or the private network are allowed. */
  allowInsecure: boolean;
}

// A metadata URL is typed by someone outside our network: it must not reach our own hosts (SSRF).
const PRIVATE_IPV4: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];
const PRIVATE_IPV6: readonly (readonly [string, number])[] = [
  ["::", 128],
  ["::1", 128],
  ["100::", 64],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
];
const PRIVATE = new BlockList();
for (const [net, prefix] of PRIVATE_IPV4) {
  PRIVATE.addSubnet(net, prefix, "ipv4");
  // The same IPv4 ranges written as IPv6: IPv4-mapped, IPv4-compatible, NAT64 and 6to4 addresses reach them too.
  // Only these sub-ranges are listed: a whole ::ffff:0:0/96 entry would match every IPv4 address.
  const [high, low] = ipv4AsHexGroups(net);
  PRIVATE.addSubnet(`::ffff:${net}`, 96 + prefix, "ipv6");
  PRIVATE.addSubnet(`::${net}`, 96 + prefix, "ipv6");
  PRIVATE.addSubnet(`64:ff9b::${net}`, 96 + prefix, "ipv6");
  PRIVATE.addSubnet(`2002:${high}:${low}::`, 16 + prefix, "ipv6");
}
for (const [net, prefix] of PRIVATE_IPV6) PRIVATE.addSubnet(net, prefix, "ipv6");

function ipv4AsHexGroups(address: string): [string, string] {
  const [a, b, c, d] = address.split(".").map(Number) as [number, number, number, number];
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}

/** True for an address on this machine, the private network, link-local, multicast or reserved ranges, in any notation. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 6 ? "ipv6" : "ipv4");
}

/** Fetches an IdP's metadata document: https only (outside development), 5 s in all, 1 MB, public addresses only. */
export async function fetchIdpMetadata(url: string, policy: FetchPolicy): Promise<Result<string, string>> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return err("the metadata URL is not a valid URL");
  }
  // One time limit for the whole fetch, redirects included: a chain of slow hops cannot stretch it.
  const deadline = Date.now() + METADATA_TIMEOUT_MS;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const allowed = checkUrl(target, policy);
    if (!allowed.ok) return allowed;
    const response = await get(target, policy, Math.max(0, deadline - Date.now()));
    if (!response.ok) return response;
    const { status, location, body } = response.value;
    if (status >= 300 && status < 400 && location) {
      target = new URL(location, target);
      continue;
    }
    if (status !== 200) return err(`the metadata URL answered HTTP ${status}`);
    return ok(body);
  }
  return err(`the metadata URL redirected more than ${MAX_REDIRECTS} times`);
}

function checkUrl(url: URL, policy: FetchPolicy): Result<null, string> {
  if (url.protocol !== "https:" && !(policy.allowInsecure && url.protocol === "http:")) {
    return err("the metadata URL must start with https://");
  }
  if (url.username || url.password) return err("the metadata URL must not contain a user name or password");
  // The lookup filter below never runs for an address literal: check those here.
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (!policy.allowInsecure && isIP(literal) && isPrivateAddress(literal)) {
    return err("the metadata URL could not be fetched: its host resolves to a private or local address");
  }
  return ok(null);
}

function get(
  url: URL,
  policy: FetchPolicy,
  timeoutMs: number,
): Promise<Result<{ status: number; location: string | null; body: string }, string>> {
  return new Promise((resolve) => {
    const lookup = (
      hostname: string,
      options: object,
      callback: (e: Error | null, address: string | LookupAddress[], family?: number) => void,
    ) =>
      dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
        if (error) return callback(error, []);
        const usable = policy.allowInsecure ? addresses : addresses.filter((a) => !isPrivateAddress(a.address));
        if (usable.length === 0) return callback(Object.assign(new Error("private address"), { code: "EPRIVATE" }), []);
        return callback(null, usable);
      });
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    const request = send(
      url,
      { method: "GET", lookup, headers: { accept: "application/samlmetadata+xml, application/xml, text/xml" } },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_METADATA_BYTES) {
            request.destroy();
            resolve(err("the metadata URL returned more than 1 MB"));
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () =>
          resolve(
            ok({ status: res.statusCode ?? 0, location: res.headers.location ?? null, body: Buffer.concat(chunks).toString("utf8") }),
          ),
        );
        res.on("error", () => resolve(err("the metadata download was interrupted")));
      },
    );
    const timer = setTimeout(() => {
      request.destroy();
      resolve(err(`the metadata URL did not answer within ${METADATA_TIMEOUT_MS / 1000} seconds`));
    }, timeoutMs);
    request.on("close", () => clearTimeout(timer));
    request.on("error", (error: NodeJS.ErrnoException) => {
      const why =
        error.code === "EPRIVATE"
          ? "its host resolves to a private or local address"
          : error.code === "ENOTFOUND"
            ? "its host name does not resolve"
            : error.code === "ECONNREFUSED"
              ? "the connection was refused"
              : error.code?.startsWith("ERR_TLS") || error.code?.includes("CERT")
                ? "its TLS certificate is not valid"
                : "the connection failed";
      resolve(err(`the metadata URL could not be fetched: ${why}`));
    });
    request.end();
  });
}
