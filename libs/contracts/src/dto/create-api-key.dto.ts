import { Matches } from 'class-validator';
import { ApiScope, CreateApiKeyRequest, parseScopes, parseTtl } from '../api-keys';
import { ParsedBy } from '../validate';

/** `POST /v1/keys`: what the key is for, what it may do, and how long it lives (none: until revoked). */
export class CreateApiKeyDto {
  /**
   * Who or what uses the key: 1-64 characters (letters, digits, space, . _ @ -).
   * @example "camera-fleet"
   */
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,63}$/, {
    message: 'name must be 1-64 characters (letters, digits, space, . _ @ -), saying who or what uses the key, e.g. "camera-fleet"',
  })
  name!: string;

  /**
   * What the key may do: `admin`, `read`, `invoke`, or `invoke:<pattern>` (function names, `*` any characters).
   * @example ["invoke:cam-*"]
   */
  @ParsedBy(parseScopes)
  scopes!: string[];

  /**
   * Time to live: seconds (a number), or a number with s, m, h or d, from 1s to 3660d. None: until revoked.
   * @example "90d"
   */
  @ParsedBy((raw) => raw === undefined || parseTtl(raw))
  ttl?: string | number;
}

/** The key request a validated body asks for: scopes deduplicated, the ttl in milliseconds. */
export function createApiKeyRequest(body: CreateApiKeyDto): CreateApiKeyRequest {
  return {
    name: body.name,
    scopes: parseScopes(body.scopes) satisfies ApiScope[],
    ...(body.ttl === undefined ? {} : { ttlMs: parseTtl(body.ttl) }),
  };
}
