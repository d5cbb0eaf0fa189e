import { BlockList, isIP } from 'node:net';
import { EparaError } from '@epara/contracts';

/**
 * Where the gateway may POST an async request's final record (`X-Callback-Url`): a callback is a
 * request the gateway makes on a client's behalf, so without these rules a client could make it call
 * its own admin endpoints, the cloud metadata service or anything else on the gateway's network (SSRF).
 * Pure: no DNS and no sockets here; the sender resolves the name and asks `addressRefusal`.
 */

export const CALLBACK_ALLOW_HOSTS_ENV = 'EPARA_CALLBACK_ALLOW_HOSTS';
export const CALLBACK_HEADER = 'X-Callback-Url';
const MAX_URL_LENGTH = 2048;

/** One entry of EPARA_CALLBACK_ALLOW_HOSTS. */
export interface CallbackAllowEntry {
  /** As a URL spells it (lowercase, punycode, IPv6 in brackets); for a wildcard the domain after `*.`. */
  host: string;
  /** `*.example.com`: any name under example.com (not example.com itself, never an IP address). */
  wildcard: boolean;
  /** Only this port; any port when absent. */
  port?: number;
  /** As the operator wrote it, for messages. */
  text: string;
}

export type CallbackAllowList = readonly CallbackAllowEntry[];

/** A callback URL the policy accepts, with the entry that lets it through. */
export interface CallbackTarget {
  url: URL;
  /** The host without IPv6 brackets, as DNS and sockets take it. */
  hostname: string;
  /** The port the request goes to (the scheme's default when the URL names none). */
  port: number;
  entry: CallbackAllowEntry;
}

/**
 * Addresses a callback must not reach unless listed: unspecified, loopback, private, shared (CGNAT),
 * link-local (cloud metadata at 169.254.169.254), benchmarking, multicast and reserved ranges.
 * BlockList checks IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`) against the IPv4 ranges too.
 */
const NON_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NON_PUBLIC.addSubnet(net, prefix, 'ipv6');

/** Whether `address` (an IP address) lies in a loopback, private, link-local or other non-public range. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) throw new Error(`not an IP address: ${address}`);
  return NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

const unbracket = (host: string) => (host.startsWith('[') ? host.slice(1, -1) : host);

/** A host as a URL spells it, or undefined when `host` is not one (WHATWG parsing: `127.1` → `127.0.0.1`). */
function urlHost(host: string): string | undefined {
  // Only a bracketed IPv6 address may hold ':'; nothing may hold what would start a port, path or userinfo.
  if (!host || /[\s/\\?#@:*%]/.test(host.replace(/^\[[0-9a-f:.]+\]$/i, 'v6'))) return undefined;
  try {
    return new URL(`http://${host}/`).hostname || undefined;
  } catch {
    return undefined;
  }
}

/**
 * EPARA_CALLBACK_ALLOW_HOSTS: comma-separated `host`, `host:port`, `*.domain` or `*.domain:port`
 * (IPv6 as `[::1]:8080`). Empty: no callback is allowed. A malformed entry throws naming it.
 */
export function parseCallbackAllowList(name: string, raw: string): CallbackAllowList {
  const entries: CallbackAllowEntry[] = [];
  for (const text of raw.split(',').map((e) => e.trim())) {
    if (!text) continue;
    const bad = () =>
      new Error(`${name}: "${text}" is not a host, host:port, *.domain or *.domain:port entry (comma-separated, no scheme or path)`);
    const wildcard = text.startsWith('*.');
    const m = /^(\[[0-9a-fA-F:.]+\]|[^[\]:]+)(?::(\d{1,5}))?$/.exec(wildcard ? text.slice(2) : text);
    if (!m) throw bad();
    const host = urlHost(m[1]);
    const port = m[2] === undefined ? undefined : Number(m[2]);
    if (!host || (port !== undefined && (port < 1 || port > 65535))) throw bad();
    if (wildcard && isIP(unbracket(host))) throw bad();
    entries.push({ host, wildcard, ...(port !== undefined ? { port } : {}), text });
  }
  return entries;
}

function matches(entry: CallbackAllowEntry, hostname: string, port: number): boolean {
  if (entry.port !== undefined && entry.port !== port) return false;
  if (!entry.wildcard) return entry.host === hostname;
  return !isIP(unbracket(hostname)) && hostname.endsWith(`.${entry.host}`);
}

/** The 400 a refused callback URL is answered with. */
export const callbackRefused = (reason: string) =>
  EparaError.badInput(`${CALLBACK_HEADER} refused: ${reason}`, { header: CALLBACK_HEADER });

/**
 * Checks a callback URL against the policy: http or https, and a host on the allow-list (an IP address
 * host only by an exact entry). Throws 400 saying why. A name still has to pass `addressRefusal` for
 * each address it resolves to.
 */
export function checkCallbackUrl(raw: string, allow: CallbackAllowList): CallbackTarget {
  if (raw.length > MAX_URL_LENGTH) throw callbackRefused(`the URL is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw callbackRefused(`"${raw}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw callbackRefused(`only http: and https: callbacks are allowed, not ${url.protocol}`);
  if (allow.length === 0)
    throw callbackRefused(`callbacks are off on this gateway (${CALLBACK_ALLOW_HOSTS_ENV} is empty); poll GET /v1/requests/:id instead`);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const entry = allow.find((e) => matches(e, url.hostname, port));
  if (!entry) throw callbackRefused(`host ${url.hostname}:${port} is not in ${CALLBACK_ALLOW_HOSTS_ENV}`);
  // An IP address host passes only an exact entry (wildcards never match one), which lists it explicitly.
  return { url, hostname: unbracket(url.hostname), port, entry };
}

/**
 * Why `target` must not be reached at `address` (one its host resolves to), or undefined when it may:
 * a non-public address is allowed only when the host or the address itself is listed exactly — a
 * wildcard entry never lets a name that resolves to 127.0.0.1 or 10.x through.
 */
export function addressRefusal(target: CallbackTarget, address: string, allow: CallbackAllowList): string | undefined {
  if (!isNonPublicAddress(address)) return undefined;
  if (!target.entry.wildcard) return undefined;
  const spelled = urlHost(isIP(address) === 6 ? `[${address}]` : address);
  if (spelled && allow.some((e) => matches(e, spelled, target.port))) return undefined;
  return `${target.url.hostname} resolves to ${address}, a loopback, private or link-local address; list that host or address exactly in ${CALLBACK_ALLOW_HOSTS_ENV} to allow it`;
}
