import { readFileSync } from 'node:fs';

export interface HttpReply {
  status: number;
  headers: Headers;
  body: Buffer;
  json<T = any>(): T;
}

/** A tiny fetch wrapper returning the whole body (tests assert on status, headers and bytes). */
export async function http(url: string, init: RequestInit = {}): Promise<HttpReply> {
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
