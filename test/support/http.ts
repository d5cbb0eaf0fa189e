import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Header } from '@epara/contracts';
import { TEST_ADMIN_KEY } from './test-keys';

export interface HttpReply {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = any>(): T;
}

/**
 * Sends the test admin key (TEST_ADMIN_KEY) unless the request brings its own `Authorization` or
 * `X-Api-Key`, so a test that is not about keys need not think of them.
 */
export function withTestKey(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has(Header.Authorization) && !headers.has(Header.ApiKey)) headers.set(Header.Authorization, `Bearer ${TEST_ADMIN_KEY}`);
  return { ...init, headers };
}

/** A tiny fetch wrapper returning the whole body (tests assert on status, headers and bytes); sends the test admin key by default. */
export async function http(url: string, init: RequestInit = {}): Promise<HttpReply> {
  return httpAsIs(url, withTestKey(init));
}

/** `http` without the default key: exactly the headers given (a request with no key at all). */
export async function httpAsIs(url: string, init: RequestInit = {}): Promise<HttpReply> {
  const res = await fetch(url, init);
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) };
}

/** Deploys over the HTTP API as multipart: `spec` JSON + `model` file (or spec only). */
export function deployMultipart(gatewayUrl: string, spec: unknown, model?: Uint8Array | string): Promise<HttpReply> {
  const form = new FormData();
  form.set('spec', typeof spec === 'string' ? spec : JSON.stringify(spec));
  if (model !== undefined) {
    const bytes = typeof model === 'string' ? readFileSync(model) : model;
    form.set('model', new Blob([bytes]), 'model.onnx');
  }
  return http(`${gatewayUrl}/v1/functions`, { method: 'POST', body: form });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpReply> {
  return http(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** A local HTTP server that records the JSON bodies POSTed to it, as an async callback's receiver. */
export interface CallbackHook {
  /** `127.0.0.1:<port>`, for EPARA_CALLBACK_ALLOW_HOSTS and callback URLs. */
  host: string;
  bodies: unknown[];
  close(): void;
}

export async function startCallbackHook(): Promise<CallbackHook> {
  const bodies: unknown[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (d) => (data += d));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      res.end('ok');
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, close: () => server.close() };
}
