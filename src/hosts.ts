import { isIP } from "node:net";
import type { Config } from "./config.js";

/** Which site a request is for: the main site or one clinic's subdomain. */
export type Site = { kind: "main" } | { kind: "clinic"; subdomain: string } | { kind: "unknown" };

type UrlConfig = Pick<Config, "scheme" | "baseDomain" | "publicPort">;

/** Reads the site from a Host header value (port and trailing dot ignored, case-insensitive). */
export function siteForHost(host: string | undefined, baseDomain: string): Site {
  if (!host) return { kind: "unknown" };
  const name = host.toLowerCase().replace(/:\d+$/, "").replace(/\.$/, "");
  if (name === baseDomain) return { kind: "main" };
  if (!name.endsWith(`.${baseDomain}`)) return { kind: "unknown" };
  const label = name.slice(0, -baseDomain.length - 1);
  // Only one label deep: a.b.BASE is not a clinic, and the label must look like a subdomain we issue.
  if (!/^[a-z0-9-]{1,63}$/.test(label)) return { kind: "unknown" };
  return { kind: "clinic", subdomain: label };
}

/** Whether a Host header names an IP address (port allowed): what a probe or a scraper sends to one instance directly. */
export function isAddressHost(host: string | undefined): boolean {
  if (!host) return false;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  return isIP(bracketed ? bracketed[1]! : host.replace(/:\d+$/, "")) !== 0;
}

function origin(config: UrlConfig, hostName: string): string {
  const port = config.publicPort === null ? "" : `:${config.publicPort}`;
  return `${config.scheme}://${hostName}${port}`;
}

export function mainOrigin(config: UrlConfig): string {
  return origin(config, config.baseDomain);
}

export function clinicOrigin(config: UrlConfig, subdomain: string): string {
  return origin(config, `${subdomain}.${config.baseDomain}`);
}
