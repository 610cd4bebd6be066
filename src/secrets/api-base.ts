import { BlockList, isIP } from "node:net";
import { invalid } from "./errors.js";

/**
 * Addresses a stored key must never be sent to: the service's own host, its
 * network, and the cloud metadata endpoints (MLflow's SSRF advisory
 * GHSA-h7x2-h6g9-p789 was exactly this).
 */
const NON_PUBLIC = new BlockList();
for (const [net, bits] of [
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
] as const) {
  NON_PUBLIC.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["fd00:ec2::", 32],
  ["64:ff9b::", 96],
] as const) {
  NON_PUBLIC.addSubnet(net, bits, "ipv6");
}

const METADATA_HOSTS = new Set(["localhost", "metadata", "metadata.google.internal", "metadata.azure.com", "instance-data"]);

/**
 * api_base, checked when it is written: https only, no user-info, an IP
 * literal only in canonical form and only a public one (unless private
 * addresses are allowed, for a self-hosted model server). Names are not
 * resolved here: whoever connects must resolve once, check, pin the address
 * and not follow redirects.
 */
export function checkApiBase(raw: string, options: { allowPrivate: boolean }): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid("auth_config.api_base is not a URL");
  }
  if (url.protocol !== "https:") throw invalid("auth_config.api_base must be an https:// URL");
  if (url.username || url.password) throw invalid("auth_config.api_base must not carry a user name or password: put credentials in the secret's value");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const family = isIP(host);
  if (family !== 0) {
    // The URL parser rewrites 0x7f.1 or 2130706433 to 127.0.0.1: only what was written counts.
    const written = /^https:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/i.exec(raw)?.[1]?.replace(/^\[|\]$/g, "").toLowerCase();
    if (written !== host) throw invalid("auth_config.api_base has an IP address in a non-canonical form: write it as a plain dotted quad or a compressed IPv6 address");
    if (!options.allowPrivate && isNonPublic(host, family)) {
      throw invalid("auth_config.api_base points at a loopback, private, link-local or metadata address (set SECRETS_ALLOW_PRIVATE_API_BASE=1 for a self-hosted model server)");
    }
  } else if (!options.allowPrivate && (METADATA_HOSTS.has(host.toLowerCase()) || host.toLowerCase().endsWith(".localhost"))) {
    throw invalid("auth_config.api_base points at this host or a metadata service (set SECRETS_ALLOW_PRIVATE_API_BASE=1 for a self-hosted model server)");
  }
  return raw;
}

function isNonPublic(host: string, family: number): boolean {
  // IPv4 written as IPv6 (::ffff:7f00:1) is never needed for a public API. (Not in the BlockList: a ::ffff:0:0/96 rule there matches every IPv4 address.)
  if (family === 6) return /^::ffff:/i.test(host) || NON_PUBLIC.check(host, "ipv6");
  return NON_PUBLIC.check(host, "ipv4");
}
