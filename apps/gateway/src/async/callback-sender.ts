import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { MediaType } from '@epara/contracts';
import { addressRefusal, CallbackAllowList, callbackRefused, CallbackTarget, checkCallbackUrl } from './callback-policy';

/** Resolves a host name to all its addresses (dns.lookup, as sockets do: /etc/hosts included). */
export type ResolveAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

const resolveAll: ResolveAll = (hostname) => dnsLookup(hostname, { all: true });
const CALLBACK_TIMEOUT_MS = 10_000;

/**
 * Applies the callback policy with DNS: at request time (a refused URL is a 400 and the async request
 * is not accepted) and again at send time, when the connection is made to the addresses just checked
 * and to no other (a name that changed to 127.0.0.1 in between is refused). Redirects are not followed:
 * a listed host could otherwise send the gateway anywhere.
 */
export class CallbackSender {
  constructor(
    private readonly allow: CallbackAllowList,
    private readonly resolve: ResolveAll = resolveAll,
  ) {}

  /** Throws 400 when `raw` may not be called back; returns the URL as it will be called. */
  async check(raw: string): Promise<string> {
    const target = checkCallbackUrl(raw, this.allow);
    await this.addresses(target);
    return target.url.href;
  }

  /** POSTs `body` (JSON) to `raw`; resolves with the status; rejects when refused or unreachable. */
  async post(raw: string, body: string): Promise<number> {
    const target = checkCallbackUrl(raw, this.allow);
    const checked = await this.addresses(target);
    const lookup: LookupFunction = (_hostname, options, callback) => {
      if (options.all) return callback(null, checked);
      callback(null, checked[0].address, checked[0].family);
    };
    const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        target.url,
        {
          method: 'POST',
          headers: { 'content-type': MediaType.Json, 'content-length': Buffer.byteLength(body) },
          lookup,
          // A fresh connection each time: a pooled one would skip the lookup just checked.
          agent: false,
          signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
        },
        (res) => {
          res.resume(); // the answer's body is not needed
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The addresses the callback may connect to: all of the host's, each allowed (400 otherwise). */
  private async addresses(target: CallbackTarget): Promise<{ address: string; family: number }[]> {
    if (isIP(target.hostname)) return [{ address: target.hostname, family: isIP(target.hostname) }];
    let resolved: { address: string; family: number }[];
    try {
      resolved = await this.resolve(target.hostname);
    } catch (e) {
      throw callbackRefused(`${target.hostname} does not resolve (${(e as Error).message})`);
    }
    if (resolved.length === 0) throw callbackRefused(`${target.hostname} resolves to no address`);
    for (const { address } of resolved) {
      const refusal = addressRefusal(target, address, this.allow);
      if (refusal) throw callbackRefused(refusal);
    }
    return resolved;
  }
}
