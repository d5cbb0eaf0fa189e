import { Header, parseErrorBody } from '@epara/contracts';
import { CliError, ExitCode } from './cli-io';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:8080';

export interface GatewayReply {
  status: number;
  ok: boolean;
  headers: Headers;
  body: Buffer;
  contentType: string | undefined;
}

export interface GatewayRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: RequestInit['body'];
  /** Give up after this many ms. Default 30000. */
  timeoutMs?: number;
}

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
};

/** The message of an error reply: Epara's `{error:{code,message}}`, Nest's `{message}`, or the text. */
export function errorReplyMessage(status: number, body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const doc = JSON.parse(text);
    const epara = parseErrorBody(doc);
    if (epara) return `error ${status}: ${epara.message}`;
    if (doc && typeof doc.message === 'string') return `error ${status}: ${doc.message}`;
  } catch {
    // not JSON: the text itself
  }
  return `error ${status}: ${text.trim().slice(0, 300) || 'no message'}`;
}

/** The API key the CLI sends, and where it came from (for messages): `--api-key`, `EPARA_API_KEY` or the key file. */
export interface GatewayKey {
  key: string;
  source: string;
}

/** Where `npm start` writes its admin key, relative to the repository root; the CLI falls back to it. */
export const ADMIN_KEY_FILE = '.epara/credentials/admin.key';

const GIVE_A_KEY = `give one with --api-key or EPARA_API_KEY (npm start writes an admin key to ${ADMIN_KEY_FILE})`;

/**
 * The message of a refused request, with what to do about it: a 401 needs a (valid) key, a 403 one
 * with the scope the gateway names.
 */
export function authFailureMessage(status: number, body: Buffer, key: GatewayKey | undefined): string {
  const base = errorReplyMessage(status, body);
  if (status === 401)
    return key ? `${base} — the key from ${key.source} was refused; ${GIVE_A_KEY}` : `${base} — no API key was sent; ${GIVE_A_KEY}`;
  return `${base} — the key from ${key?.source ?? 'nowhere'} lacks that scope: use a key that has it (an admin creates one with \`epara keys create --name N --scope S\`)`;
}

/**
 * The gateway's HTTP API (README "HTTP API"). Every failure becomes a CliError whose message says what
 * happened and what to do: unreachable (is it running? which URL?), timed out, refused (which key?), or
 * the API's own error. Sends the API key, when it has one, as `Authorization: Bearer`.
 */
export class GatewayClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    /** Where the URL came from, for messages: `--gateway`, `EPARA_GATEWAY_URL` or `default`. */
    private readonly source: string,
    private readonly key?: GatewayKey,
  ) {
    const invalid = () => {
      const guess = baseUrl.includes('://') ? '' : ` (did you mean http://${baseUrl}?)`;
      return new CliError(`invalid gateway URL "${baseUrl}" (from ${source}): expected http://host:port${guess}`, ExitCode.Usage);
    };
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw invalid();
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid();
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** Sends a request; resolves with any HTTP status, rejects (CliError) only when no reply came. */
  async send(path: string, req: GatewayRequest = {}): Promise<GatewayReply> {
    const timeoutMs = req.timeoutMs ?? 30_000;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method: req.method ?? 'GET',
        headers: this.key ? { [Header.Authorization]: `Bearer ${this.key.key}`, ...req.headers } : req.headers,
        body: req.body,
        signal: AbortSignal.timeout(timeoutMs),
        // A streamed body (an upload with progress) needs half duplex in Node's fetch.
        ...(req.body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (e) {
      throw this.unreachable(e, timeoutMs);
    }
    let body: Buffer;
    try {
      body = Buffer.from(await res.arrayBuffer());
    } catch (e) {
      throw this.unreachable(e, timeoutMs);
    }
    return { status: res.status, ok: res.ok, headers: res.headers, body, contentType: res.headers.get('content-type') ?? undefined };
  }

  /** Sends a request and returns the parsed JSON reply; a non-2xx status throws `error <status>: <message>`. */
  async json<T>(path: string, req: GatewayRequest & { json?: unknown } = {}): Promise<T> {
    const { json, ...rest } = req;
    const r = await this.send(
      path,
      json === undefined ? rest : { ...rest, headers: { 'content-type': 'application/json', ...rest.headers }, body: JSON.stringify(json) },
    );
    if (!r.ok) throw this.failure(r);
    if (r.body.byteLength === 0) return undefined as T;
    try {
      return JSON.parse(r.body.toString('utf8')) as T;
    } catch {
      throw new CliError(
        `the gateway at ${this.baseUrl} answered ${path} with something that is not JSON (is ${this.baseUrl} an Epara gateway?)`,
      );
    }
  }

  /** The CliError for a reply that is not 2xx: the API's message, with what to do on 401 and 403. */
  failure(r: GatewayReply): CliError {
    return new CliError(
      r.status === 401 || r.status === 403 ? authFailureMessage(r.status, r.body, this.key) : errorReplyMessage(r.status, r.body),
    );
  }

  private unreachable(e: unknown, timeoutMs: number): CliError {
    const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
      return new CliError(`the gateway at ${this.baseUrl} did not answer within ${timeoutMs} ms`, ExitCode.Failed, { cause: e });
    }
    const code = err?.cause?.code;
    const why = (code && SOCKET_ERRORS[code]) ?? err?.cause?.message ?? err?.message ?? String(e);
    const hint = this.source === '--gateway' ? 'check --gateway' : 'set --gateway or EPARA_GATEWAY_URL';
    return new CliError(`cannot reach the gateway at ${this.baseUrl}: ${why} — is \`npm start\` running? ${hint}`, ExitCode.Failed, {
      cause: e,
    });
  }
}
