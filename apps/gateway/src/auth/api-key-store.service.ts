import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import {
  ApiKeyRecord,
  apiKeyId,
  apiKeyView,
  ApiKeyView,
  ApiScope,
  Bucket,
  CreateApiKeyRequest,
  CreatedApiKey,
  EparaError,
  formatApiKey,
  isApiKeyId,
  isExpired,
} from '@epara/contracts';
import { CreateStatus, KvMirror, KvRepository, NatsClient } from '@epara/nats';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';

/** Who a request's key says it is. */
export interface ApiKeyPrincipal {
  id: string;
  name: string;
  scopes: readonly ApiScope[];
}

/** The key given as EPARA_ADMIN_KEY: no KV record, every scope. */
export const BOOTSTRAP_ADMIN = Object.freeze<ApiKeyPrincipal>({ id: 'EPARA_ADMIN_KEY', name: 'bootstrap admin key', scopes: ['admin'] });

export type Authentication = { principal: ApiKeyPrincipal } | { refused: string };

/** Ids are 4 random bytes: a clash is rare, and `create` then draws again. */
const ID_ATTEMPTS = 5;

const sha256 = (key: string): Buffer => createHash('sha256').update(key, 'utf8').digest();

/**
 * API keys in KV `epara_api_keys` (README "Security"): one record per key under its id, holding the
 * SHA-256 of the key, never the key. A local mirror kept current by a KV watch answers every request
 * without I/O, and brings keys created or revoked on any gateway to this one as soon as KV has them.
 */
@Injectable()
export class ApiKeyStore implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeys');
  private repository!: KvRepository<ApiKeyRecord>;
  private mirror!: KvMirror<ApiKeyRecord>;
  private readonly adminKeyHash?: Buffer;

  constructor(
    private readonly nats: NatsClient,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.adminKeyHash = config.adminKey === undefined ? undefined : sha256(config.adminKey);
  }

  async onModuleInit(): Promise<void> {
    const kv = await this.nats.kv(Bucket.ApiKeys);
    this.repository = new KvRepository<ApiKeyRecord>(kv, Bucket.ApiKeys);
    this.mirror = await new KvMirror<ApiKeyRecord>(kv).start();
  }

  onApplicationBootstrap(): void {
    if (!this.config.authEnabled) {
      this.logger.warn(
        'EPARA_AUTH=off: API keys are NOT checked. Anyone who reaches this gateway can deploy, delete and invoke functions; use it only on a closed network',
      );
    } else if (!this.adminKeyHash && this.mirror.all().length === 0) {
      this.logger.warn(
        `no API keys in KV ${Bucket.ApiKeys} and no EPARA_ADMIN_KEY: every route but health answers 401 until an admin key exists; set EPARA_ADMIN_KEY and create keys with POST /v1/keys`,
      );
    }
  }

  onApplicationShutdown(): void {
    this.mirror?.stop();
  }

  /** Who the key belongs to, or why it is refused. From memory: no I/O on the request path. */
  authenticate(key: string, nowMs = Date.now()): Authentication {
    const hash = sha256(key);
    if (this.adminKeyHash && timingSafeEqual(hash, this.adminKeyHash)) return { principal: BOOTSTRAP_ADMIN };
    const id = apiKeyId(key);
    const record = id === undefined ? undefined : this.mirror.get(id);
    const stored = record ? Buffer.from(record.sha256, 'hex') : undefined;
    if (!record || stored?.length !== hash.length || !timingSafeEqual(hash, stored))
      return { refused: 'the API key is not known: mistyped, revoked, or made for another Epara installation' };
    if (isExpired(record, nowMs))
      return { refused: `API key ${record.id} ("${record.name}") expired at ${record.expiresAt}: create a new one (POST /v1/keys)` };
    return { principal: { id: record.id, name: record.name, scopes: record.scopes } };
  }

  /** Creates a key; the answer holds the key itself, which is stored nowhere. */
  async create(request: CreateApiKeyRequest, nowMs = Date.now()): Promise<CreatedApiKey> {
    for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      const id = randomBytes(4).toString('hex');
      const key = formatApiKey(id, randomBytes(32).toString('base64url'));
      const record: ApiKeyRecord = {
        id,
        name: request.name,
        scopes: request.scopes,
        createdAt: new Date(nowMs).toISOString(),
        ...(request.ttlMs === undefined ? {} : { expiresAt: new Date(nowMs + request.ttlMs).toISOString() }),
        sha256: sha256(key).toString('hex'),
      };
      const outcome = await this.repository.create(id, record);
      if (outcome.status !== CreateStatus.Created) continue;
      this.mirror.remember(id, record);
      this.logger.log(`API key ${id} ("${record.name}") created with scopes ${record.scopes.join(', ')}`);
      return { ...apiKeyView(record, nowMs), key };
    }
    throw new EparaError(409, `could not find a free key id in ${ID_ATTEMPTS} attempts; retry`);
  }

  list(nowMs = Date.now()): ApiKeyView[] {
    return this.mirror
      .all()
      .map((r) => apiKeyView(r, nowMs))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** Deletes the key's record: every gateway refuses the key once its watch sees the deletion. */
  async revoke(id: string): Promise<void> {
    if (!isApiKeyId(id)) throw EparaError.badInput(`"${id}" is not an API key id (8 hex characters, as GET /v1/keys lists them)`, { id });
    // KV, not the mirror: a key created a moment ago on another gateway may not have reached this one yet.
    const record = await this.repository.get(id);
    if (!record) throw EparaError.notFound(`no API key with id ${id}`, { id });
    await this.repository.delete(id);
    this.mirror.remember(id, undefined);
    this.logger.log(`API key ${id} ("${record.name}") revoked`);
  }
}
