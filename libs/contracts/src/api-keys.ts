import { EparaError } from './errors';

/**
 * Gateway API keys (README "Security"): what a key may do, how a key looks, and what a request needs.
 * Pure: the gateway's guard, its key store and the CLI share it; no I/O, no crypto.
 */

/** The scopes a route can need. `admin` grants everything; `invoke` may be limited to function names. */
export const Scope = { Admin: 'admin', Read: 'read', Invoke: 'invoke' } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

/** A scope a key holds: `admin`, `read`, `invoke`, or `invoke:<pattern>` (function names; `*` is any run of characters). */
export type ApiScope = 'admin' | 'read' | 'invoke' | `invoke:${string}`;

/**
 * What one request needs. For `invoke`, the function it invokes; without one (a route that names no
 * function, e.g. an async result by id) any invoke scope will do and the route narrows it itself.
 */
export type AccessNeed = { scope: typeof Scope.Admin } | { scope: typeof Scope.Read } | { scope: typeof Scope.Invoke; function?: string };

const INVOKE_PATTERN_PREFIX = `${Scope.Invoke}:`;
/** Function names are `[a-z0-9][a-z0-9_-]*` (subjects.ts); a pattern adds `*`. */
const FUNCTION_PATTERN = /^[a-z0-9_*-]{1,64}$/;

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

/** Whether a function name matches an `invoke:<pattern>` pattern (`cam-*` matches `cam-1`, not `mic-1`). */
export function functionMatches(pattern: string, fn: string): boolean {
  return globToRegExp(pattern).test(fn);
}

/** Whether the scopes a key holds grant what a request needs. */
export function scopesGrant(held: readonly ApiScope[], need: AccessNeed): boolean {
  return held.some((scope) => {
    if (scope === Scope.Admin) return true;
    if (need.scope === Scope.Admin) return false;
    if (need.scope === Scope.Read) return scope === Scope.Read;
    if (scope === Scope.Invoke) return true;
    if (!scope.startsWith(INVOKE_PATTERN_PREFIX)) return false;
    return need.function === undefined || functionMatches(scope.slice(INVOKE_PATTERN_PREFIX.length), need.function);
  });
}

/** `scope read`, `scope invoke for function "mic-1"`: what a 403 says was missing. */
export function describeNeed(need: AccessNeed): string {
  if (need.scope === Scope.Invoke && need.function !== undefined)
    return `scope invoke for function "${need.function}" (invoke, or invoke:<pattern> matching it)`;
  return need.scope === Scope.Admin ? 'scope admin' : `scope ${need.scope} (or admin)`;
}

/** Parses one scope as an operator writes it; 400 naming the accepted forms otherwise. */
export function parseScope(raw: string): ApiScope {
  const s = raw.trim();
  if (s === Scope.Admin || s === Scope.Read || s === Scope.Invoke) return s;
  if (s.startsWith(INVOKE_PATTERN_PREFIX) && FUNCTION_PATTERN.test(s.slice(INVOKE_PATTERN_PREFIX.length))) return s as ApiScope;
  throw EparaError.badInput(
    `scope "${raw}" is not one of admin, read, invoke, invoke:<pattern> (a pattern is a function name where * stands for any characters, e.g. invoke:cam-*)`,
    { scope: raw },
  );
}

/** Parses a key's scopes: at least one, duplicates dropped, order kept. */
export function parseScopes(raw: unknown): ApiScope[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((s) => typeof s !== 'string'))
    throw EparaError.badInput('scopes must be a non-empty array of strings, e.g. ["read"] or ["invoke:cam-*"]');
  return [...new Set((raw as string[]).map(parseScope))];
}

const TTL_UNITS_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_TTL_MS = 10 * 366 * 86_400_000;

/**
 * A key's time to live: seconds as a number, or a string `90d`, `12h`, `30m`, `3600s` (plain digits are
 * seconds). From one second to ten years.
 */
export function parseTtl(raw: unknown): number {
  const m =
    typeof raw === 'number' ? [String(raw), String(raw), 's'] : typeof raw === 'string' ? /^(\d+)([smhd]?)$/.exec(raw.trim()) : null;
  const ms = m ? Number(m[1]) * TTL_UNITS_MS[m[2] || 's'] : NaN;
  if (!Number.isInteger(ms) || ms < 1_000 || ms > MAX_TTL_MS)
    throw EparaError.badInput(
      `ttl ${JSON.stringify(raw)} is not a duration from 1s to 3660d: give seconds, or a number with s, m, h or d (e.g. "90d")`,
      {
        ttl: raw,
      },
    );
  return ms;
}

/** `POST /v1/keys`, once checked (CreateApiKeyDto): what the key is for, what it may do, how long it lives (none: until revoked). */
export interface CreateApiKeyRequest {
  name: string;
  scopes: ApiScope[];
  ttlMs?: number;
}

/**
 * A key as stored in KV `epara_api_keys` under its id: the SHA-256 of the key, never the key. Keys are
 * 256 random bits, so a plain hash cannot be reversed by guessing.
 */
export interface ApiKeyRecord {
  id: string;
  name: string;
  scopes: ApiScope[];
  /** ISO time. */
  createdAt: string;
  /** ISO time after which the key is refused; absent: until revoked. */
  expiresAt?: string;
  /** Hex SHA-256 of the whole key. */
  sha256: string;
}

/** What `GET /v1/keys` shows of a key: no secret, no hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  scopes: ApiScope[];
  createdAt: string;
  expiresAt?: string;
  expired: boolean;
}

/** `POST /v1/keys`' answer: the key itself, shown this once. */
export interface CreatedApiKey extends ApiKeyView {
  key: string;
}

export function isExpired(record: Pick<ApiKeyRecord, 'expiresAt'>, nowMs: number): boolean {
  return record.expiresAt !== undefined && Date.parse(record.expiresAt) <= nowMs;
}

export function apiKeyView(r: ApiKeyRecord, nowMs: number): ApiKeyView {
  return {
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    createdAt: r.createdAt,
    ...(r.expiresAt ? { expiresAt: r.expiresAt } : {}),
    expired: isExpired(r, nowMs),
  };
}

/**
 * Key format: `epk_<id>_<secret>`: the id (8 hex characters, public: it names the key in listings and
 * revocations) and the secret (32 random bytes, base64url).
 */
export const API_KEY_PREFIX = 'epk_';
const KEY_FORMAT = /^epk_([0-9a-f]{8})_[A-Za-z0-9_-]{43}$/;

export function formatApiKey(id: string, secret: string): string {
  return `${API_KEY_PREFIX}${id}_${secret}`;
}

/** The id of a key in Epara's format, or undefined (EPARA_ADMIN_KEY may be any string). */
export function apiKeyId(key: string): string | undefined {
  return KEY_FORMAT.exec(key)?.[1];
}

/** A key id as `DELETE /v1/keys/:id` and the KV bucket take it. */
export function isApiKeyId(id: string): boolean {
  return /^[0-9a-f]{8}$/.test(id);
}

type HeaderValue = string | string[] | undefined;

/**
 * The key a request presents: `Authorization: Bearer <key>`, else `X-Api-Key: <key>` (header names in
 * lower case, as Node gives them). Undefined when it presents none.
 */
export function presentedApiKey(headers: { authorization?: HeaderValue; 'x-api-key'?: HeaderValue }): string | undefined {
  const first = (v: HeaderValue) => (Array.isArray(v) ? v[0] : v)?.trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(first(headers.authorization) ?? '')?.[1];
  return bearer ?? (first(headers['x-api-key']) || undefined);
}
