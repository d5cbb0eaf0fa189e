import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { jetstream, JetStreamClient, JetStreamManager, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { KV, Kvm, KvOptions } from '@nats-io/kv';
import { ObjectStore, Objm, setSha256Backend } from '@nats-io/obj';
import { connect, nanos, NatsConnection } from '@nats-io/transport-node';
import { Bucket, ObjectBucket, Stream, subjects } from '@epara/contracts';
import { ConnectionHealth } from './connection-health';
import { LargePayloads, PAYLOAD_MAX_AGE_MS } from './large-payloads';
import { describeNatsRefusal, tlsFailureHint } from './nats-errors';
import { NatsSecurity, natsConnectionSecurity } from './security/connection-options';

export const NATS_OPTIONS = Symbol('NATS_OPTIONS');

export interface NatsOptions {
  /** Comma-separated server URLs, e.g. `nats://127.0.0.1:4222`. */
  servers: string;
  /** Connection name operators see in `nats server report connections`. */
  name: string;
  /** Credentials, TLS and inbox prefix (from NATS_CREDS, NATS_NKEY_SEED, NATS_TLS_CA, …). */
  security?: NatsSecurity;
  /** Replicas of the buckets and object stores created when missing (default 1; at most the JetStream cluster's size). */
  jetStreamReplicas?: number;
}

/** Bucket settings: what lives how long. Devices expire so that a dead worker disappears by itself. */
export const BUCKET_OPTIONS: Record<string, Partial<KvOptions>> = {
  [Bucket.Functions]: { history: 5, description: 'Epara function records, by function name' },
  [Bucket.Placement]: { history: 5, description: 'Epara placement, one key per device' },
  [Bucket.Devices]: { history: 1, ttl: 15_000, description: 'Epara device heartbeats (expire after 15 s)' },
  [Bucket.Requests]: { history: 1, ttl: 3_600_000, description: 'Epara async request status and results (1 h)' },
  [Bucket.Leader]: { history: 1, ttl: 6_000, description: 'Epara scheduler leader lock' },
  // No history: a revoked key's record is gone, not kept as an older revision.
  [Bucket.ApiKeys]: { history: 1, description: 'Epara gateway API keys by id: scopes and the SHA-256 of the key, never the key' },
};

/**
 * Connects to NATS with endless reconnects, creates the JetStream buckets Epara needs when they are
 * missing, and drains on shutdown so in-flight replies are not lost.
 */
export async function connectNats(options: NatsOptions, logger = new Logger('Nats')): Promise<NatsConnection> {
  let nc: NatsConnection;
  const security = natsConnectionSecurity(options.security ?? {});
  try {
    nc = await connect({
      ...security.options,
      servers: options.servers.split(',').map((s) => s.trim()),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      pingInterval: 10_000,
    });
  } catch (e) {
    const refusal = describeNatsRefusal(e, security.identity);
    if (refusal) throw new Error(`cannot connect to NATS at ${options.servers}: ${refusal}`, { cause: e });
    const tls = tlsFailureHint(e, security.tls);
    if (tls) throw new Error(`cannot connect to NATS at ${options.servers}: ${(e as Error).message}: ${tls}`, { cause: e });
    throw new Error(
      `cannot connect to NATS at ${options.servers}: ${(e as Error).message}. Is nats-server running (with -js)? Set NATS_URL to its address.`,
      { cause: e },
    );
  }
  logger.log(`connected to NATS at ${options.servers} as ${security.identity}${security.tls ? ' over TLS' : ''}`);
  (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect' || s.type === 'reconnect') logger.warn(`NATS ${s.type}: ${s.server}`);
      else if (s.type === 'error') logger.error(describeNatsRefusal(s.error, security.identity) ?? `NATS error: ${s.error.message}`);
    }
  })().catch((e) => logger.error(`NATS status loop ended: ${(e as Error).message}`));
  return nc;
}

@Injectable()
export class NatsClient implements OnApplicationShutdown {
  private readonly logger = new Logger(NatsClient.name);
  readonly js: JetStreamClient;
  private readonly kvm: Kvm;
  private readonly objm: Objm;
  private readonly kvs = new Map<string, Promise<KV>>();
  private models?: Promise<ObjectStore>;
  private payloadObjects?: Promise<ObjectStore>;
  /** Bodies over the max payload go through object store `epara_payloads` (`Epara-Payload-Ref`). */
  readonly payloads: LargePayloads;
  /** Whether NATS (and JetStream) answer now: for health routes, and to answer 503 instead of waiting out a deadline. */
  readonly health: ConnectionHealth;

  constructor(
    readonly nc: NatsConnection,
    @Inject(NATS_OPTIONS) readonly options: NatsOptions,
  ) {
    this.js = jetstream(nc);
    this.kvm = new Kvm(this.js);
    this.objm = new Objm(this.js);
    // The object store hashes every chunk, on put and again on get. Its default SHA-256 is pure JS (browser
    // safe) and ~25x slower than Node's: 5 s of blocked event loop per pass over ISNet's 129 MB of cut
    // tensors. Process-wide and idempotent; the digests are the same bytes either way.
    setSha256Backend('native');
    this.health = new ConnectionHealth(nc, () => this.jsm().then((m) => m.getAccountInfo()));
    this.payloads = new LargePayloads(
      () => this.nc.info?.max_payload ?? 1024 * 1024,
      () => this.payloadStore(),
    );
  }

  private get replicas(): number {
    return this.options.jetStreamReplicas ?? 1;
  }

  jsm(): Promise<JetStreamManager> {
    return jetstreamManager(this.nc);
  }

  /** Opens (creating when missing) one of Epara's KV buckets. Cached per bucket. */
  kv(bucket: Bucket): Promise<KV> {
    let kv = this.kvs.get(bucket);
    if (!kv) {
      kv = this.kvm.create(bucket, { ...BUCKET_OPTIONS[bucket], replicas: this.replicas });
      kv.catch(() => this.kvs.delete(bucket));
      this.kvs.set(bucket, kv);
    }
    return kv;
  }

  /** Object store `epara_models`, created when missing. */
  modelStore(): Promise<ObjectStore> {
    if (!this.models) {
      this.models = this.objm.create(ObjectBucket.Models, {
        description: 'Epara model artifacts, named by sha256',
        replicas: this.replicas,
      });
      this.models.catch(() => (this.models = undefined));
    }
    return this.models;
  }

  /**
   * Object store `epara_payloads`, created when missing: message bodies over the max payload, each read
   * once and deleted by its receiver; the max age removes those nobody read.
   */
  payloadStore(): Promise<ObjectStore> {
    if (!this.payloadObjects) {
      this.payloadObjects = this.objm.create(ObjectBucket.Payloads, {
        description: 'Epara message bodies over the NATS max payload (Epara-Payload-Ref), read once',
        ttl: nanos(PAYLOAD_MAX_AGE_MS),
        storage: StorageType.File,
        replicas: this.replicas,
      });
      this.payloadObjects.catch(() => (this.payloadObjects = undefined));
    }
    return this.payloadObjects;
  }

  /**
   * Stream `EPARA_ASYNC`: durable invocations on `epara.v1.async.>`, each consumed once (work queue),
   * kept a day at most. Created when missing.
   */
  async ensureAsyncStream(): Promise<void> {
    const jsm = await this.jsm();
    try {
      await jsm.streams.info(Stream.Async);
    } catch {
      await jsm.streams.add({
        name: Stream.Async,
        subjects: [subjects.asyncAny],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        max_age: nanos(24 * 3_600_000),
        description: 'Epara durable invocations (epara.v1.async.<fn>)',
      });
    }
  }

  /**
   * Stream `EPARA_MQTT`: requests of MQTT devices (`epara.v1.mqtt.<fn>.<client>`, from the server's MQTT
   * listener), each consumed once (work queue), kept an hour at most. Created when missing.
   */
  async ensureMqttStream(): Promise<void> {
    const jsm = await this.jsm();
    try {
      await jsm.streams.info(Stream.Mqtt);
    } catch {
      await jsm.streams.add({
        name: Stream.Mqtt,
        subjects: [subjects.mqttAny],
        retention: RetentionPolicy.Workqueue,
        storage: StorageType.File,
        max_age: nanos(3_600_000),
        description: 'Epara requests from MQTT devices (epara/v1/mqtt/<fn>/<client>), answered on epara/v1/reply/<client>/<fn>',
      });
    }
  }

  /** Creates every bucket up front, so a missing JetStream fails at start with a clear message. */
  async ensureBuckets(): Promise<void> {
    try {
      await Promise.all([
        ...Object.values(Bucket).map((b) => this.kv(b)),
        this.modelStore(),
        this.payloadStore(),
        this.ensureAsyncStream(),
        this.ensureMqttStream(),
      ]);
    } catch (e) {
      throw new Error(
        `JetStream is not available on ${this.options.servers} (${(e as Error).message}): start nats-server with -js, or use config/nats-server.conf`,
        { cause: e },
      );
    }
  }

  /** Connected now: not closed, not draining, and not between a disconnect and a reconnect. */
  get isConnected(): boolean {
    return !this.nc.isDraining() && this.health.down() === undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.nc.isClosed()) return;
    try {
      await this.nc.drain();
    } catch (e) {
      this.logger.warn(`drain failed: ${(e as Error).message}`);
    }
  }
}
