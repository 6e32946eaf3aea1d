import type { IncomingMessage } from "node:http";
import proxyAddr from "@fastify/proxy-addr";
import type { TrustedProxies } from "../config.js";
import { newReference } from "../ids.js";

/** The header a proxy names its request with, and the header each answer carries its id back in. */
export const REQUEST_ID_HEADER = "x-request-id";

// Letters, digits and . _ - only, at most 64: nginx's $request_id (32 hex) and UUIDs pass; no markup, spaces or line breaks.
const SAFE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Whether the socket's peer is one of our proxies, by the same rule the app applies to X-Forwarded-For. */
function isTrustedPeer(trusted: TrustedProxies): (address: string | undefined) => boolean {
  switch (trusted.kind) {
    case "none":
      return () => false;
    // Hop 0 is the peer itself: with one or more proxies in front, the peer is the nearest of them.
    case "hops":
      return () => trusted.hops > 0;
    case "addresses": {
      const trust = proxyAddr.compile([...trusted.addresses]);
      return (address) => address !== undefined && trust(address, 0);
    }
  }
}

/**
 * Fastify's genReqId: the proxy's X-Request-Id when our own proxy sent a safe short one (so its access log and
 * ours name the request alike), else a new 10-character reference a person can read out to support.
 */
export function requestIdGenerator(trusted: TrustedProxies): (raw: IncomingMessage) => string {
  const trustedPeer = isTrustedPeer(trusted);
  return (raw) => {
    const incoming = raw.headers[REQUEST_ID_HEADER];
    // A client can write any header: only a proxy we trust names the request, or anyone could plant ids in our logs.
    if (typeof incoming === "string" && SAFE_REQUEST_ID.test(incoming) && trustedPeer(raw.socket.remoteAddress)) return incoming;
    return newReference();
  };
}
