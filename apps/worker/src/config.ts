import { IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { POLICY_NAMES, PolicyName, servingPolicy, ServingPolicy } from '@epara/policy';
import { NatsSecurity, natsSecurityFromEnv } from '@epara/nats/security';
import { BoolEnv, CommonEnv, IntEnv, loadEnv, LOOP_DEFAULTS, NAME_PATTERN } from '@epara/contracts';
import { ExecutionProvider } from '@epara/runtime';

export class WorkerEnv extends CommonEnv {
  /** Whole-system policy: epara (default) or a baseline (naive, static-batch, adaptive-batch) for benchmarks. */
  @IsIn(POLICY_NAMES, { message: `EPARA_POLICY must be one of: ${POLICY_NAMES.join(', ')}` })
  EPARA_POLICY: PolicyName = 'epara';

  /** Accelerator slot this worker serves: `cpu:N` or `cuda:N`. Default `cpu:0`. */
  @Matches(/^(cpu|cuda|webgpu):\d+$/, { message: 'EPARA_DEVICE must look like cpu:0, cuda:1 or webgpu:0' })
  EPARA_DEVICE: string = 'cpu:0';

  /** Device id: subject token and KV key. Default: the slot with ':' → '-' (cpu-0). Prefix the host when several hosts share a NATS. */
  @IsOptional()
  @Matches(NAME_PATTERN, { message: "EPARA_DEVICE_ID must be 1-63 characters of a-z, 0-9, '-' and '_'" })
  EPARA_DEVICE_ID?: string;

  /** onnxruntime intra-op threads per session. Default 1 (fastest for small models on 2 cores). */
  @IntEnv(1, 256)
  EPARA_THREADS: number = 1;

  /** Memory this device offers to models, MiB. Default: a quarter of the host's memory for a CPU slot. */
  @IsOptional()
  @IntEnv(1, 10_000_000)
  EPARA_DEVICE_MEMORY_MB?: number;

  /** Batches run at once on this device. Default 1: the device picks the next batch by deadline. */
  @IntEnv(1, 64)
  EPARA_DEVICE_CONCURRENCY: number = 1;

  /** Requests queued per function before new ones are shed with 429. Default 1024. */
  @IntEnv(1, 1_000_000)
  EPARA_MAX_QUEUE: number = LOOP_DEFAULTS.maxQueue;

  /** An `audio-vad` stream with no frame for this long is forgotten (its next frame restarts it), ms. Default 30000. */
  @IntEnv(1000, 86_400_000)
  EPARA_STREAM_IDLE_MS: number = 30_000;

  /** Heartbeat period, ms. Default 1000. */
  @IntEnv(100, 60_000)
  EPARA_HEARTBEAT_MS: number = LOOP_DEFAULTS.heartbeatMs;

  /** HTTP port for /health and /metrics. Default 0 (any free port; logged at start). */
  @IntEnv(0, 65535)
  EPARA_WORKER_PORT: number = 0;

  /** Measure a profile when a function is loaded without one for this device class. Default true. */
  @BoolEnv()
  EPARA_PROFILE: boolean = true;

  /**
   * Let a model whose runs prove long (≥ 2 ms) move to an onnxruntime session on a thread of its own
   * (default true), so that a run does not hold the worker's event loop: requests keep arriving into the
   * queue and heartbeats go out on time. Tiny models and text generation (its engine keeps the session's
   * KV-cache tensors) stay in-process. Unset: on only when the worker may use more than one CPU — on
   * one CPU (a pinned worker, a container with one core) the thread cannot run beside the event loop,
   * and each run then waits for two thread switches (measured: half the VAD throughput of in-process runs).
   */
  @IsOptional()
  @BoolEnv()
  EPARA_SESSION_THREADS?: boolean;

  /** Batching off (every request runs alone): the `naive` baseline. Default false. */
  @BoolEnv()
  EPARA_BATCHING_OFF: boolean = false;

  @IsOptional()
  @IsIn(['cpu', 'cuda', 'webgpu'])
  EPARA_PROVIDER?: ExecutionProvider;

  @IsOptional()
  @IsString()
  EPARA_HOST_NAME?: string;
}

export interface WorkerConfig {
  policy: ServingPolicy;
  natsUrl: string;
  /** Credentials, TLS and inbox prefix for NATS (NATS_CREDS, NATS_NKEY_SEED, NATS_TLS_CA, …). */
  natsSecurity: NatsSecurity;
  /** Replicas of the buckets this app creates (EPARA_JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  device: string;
  slot: string;
  host: string;
  provider: ExecutionProvider;
  deviceIndex: number;
  threads: number;
  sessionThreads: boolean;
  memoryBytes: number;
  concurrency: number;
  maxQueue: number;
  /** EPARA_STREAM_IDLE_MS. */
  streamIdleMs: number;
  heartbeatMs: number;
  port: number;
  profile: boolean;
  batchingOff: boolean;
  cacheDir?: string;
  json: boolean;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const e = loadEnv(WorkerEnv, env);
  const [kind, index] = e.EPARA_DEVICE.split(':');
  return Object.freeze({
    policy: servingPolicy(e.EPARA_POLICY),
    natsUrl: e.NATS_URL,
    natsSecurity: natsSecurityFromEnv(e),
    jetStreamReplicas: e.EPARA_JETSTREAM_REPLICAS,
    slot: e.EPARA_DEVICE,
    device: e.EPARA_DEVICE_ID ?? e.EPARA_DEVICE.replace(':', '-'),
    host: e.EPARA_HOST_NAME ?? hostname(),
    provider: e.EPARA_PROVIDER ?? (kind as ExecutionProvider),
    deviceIndex: Number(index),
    threads: e.EPARA_THREADS,
    sessionThreads: e.EPARA_SESSION_THREADS ?? availableParallelism() > 1,
    memoryBytes: (e.EPARA_DEVICE_MEMORY_MB ?? Math.floor(totalmem() / 4 / 1024 / 1024)) * 1024 * 1024,
    concurrency: e.EPARA_DEVICE_CONCURRENCY,
    maxQueue: e.EPARA_MAX_QUEUE,
    streamIdleMs: e.EPARA_STREAM_IDLE_MS,
    heartbeatMs: e.EPARA_HEARTBEAT_MS,
    port: e.EPARA_WORKER_PORT,
    profile: e.EPARA_PROFILE,
    batchingOff: e.EPARA_BATCHING_OFF,
    cacheDir: e.EPARA_CACHE_DIR,
    json: e.EPARA_LOG_FORMAT === 'json',
  });
}

export const WORKER_CONFIG = Symbol('WORKER_CONFIG');
