import { Inject, Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import { EparaError, FunctionKind, FunctionRecord, ModelInfo, unitKey } from '@epara/contracts';
import { NatsClient } from '@epara/nats';
import { kindHandler, stageKindHandler } from '@epara/kinds';
import { createSession, defaultCacheDir, LoadedModel, ModelCache, readModelMetadata, sha256Of, THREAD_MIN_RUN_MS, withTimeout } from '@epara/runtime';
import { WORKER_CONFIG, WorkerConfig } from '../config';

/** Longest a model fetch from the object store may take before the load fails and is retried. */
const MODEL_FETCH_TIMEOUT_MS = 120_000;

export interface LoadResult {
  model: LoadedModel;
  loadMs: number;
  /** RSS growth while loading, bytes: an estimate of the model's memory on this device. */
  memoryBytes: number;
}

/**
 * Brings a function's model onto this device: from the local cache by sha256, else from the object
 * store `epara_models` (then cached), then an onnxruntime session on the device's provider.
 */
@Injectable()
export class ModelManager {
  private readonly logger = new Logger(ModelManager.name);
  private readonly cache: ModelCache;

  constructor(
    private readonly nats: NatsClient,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
  ) {
    this.cache = new ModelCache(join(config.cacheDir ?? defaultCacheDir(), 'blobs'));
  }

  private async bytesOf(sha256: string): Promise<Uint8Array> {
    const cached = await this.cache.read(sha256);
    if (cached) return cached;
    const os = await this.nats.modelStore();
    // A fetch that stalls must fail (and the load be retried), not hold every later placement change.
    const bytes = await withTimeout(os.getBlob(sha256), MODEL_FETCH_TIMEOUT_MS, `fetching model ${sha256.slice(0, 12)} from the object store epara_models took over ${MODEL_FETCH_TIMEOUT_MS / 1000} s`);
    if (!bytes) throw EparaError.notFound(`model ${sha256} is not in the object store epara_models`);
    if (sha256Of(bytes) !== sha256) throw new EparaError(500, `model ${sha256} from the object store does not match its sha256`);
    await this.cache.write(sha256, bytes).catch((e) => this.logger.warn(`could not cache model ${sha256}: ${(e as Error).message}`));
    return bytes;
  }

  /**
   * Loads a function's model, or `info`, its pipeline stage `stage`: plain tensors for a model the
   * partitioner cut, the kind's own processing for a kind built of several models (`ocr`).
   */
  async load(record: FunctionRecord, info: ModelInfo = record.model, stage?: number): Promise<LoadResult> {
    const t0 = performance.now();
    const rss0 = process.memoryUsage().rss;
    const bytes = await this.bytesOf(info.sha256);
    const whole = stage === undefined;
    const kind = whole ? record.kind : FunctionKind.Tensor;
    const handler = whole ? kindHandler(kind) : stageKindHandler(record.kind, stage, () => readModelMetadata(bytes));
    const unit = unitKey(record.name, stage);
    const created = await createSession(bytes, {
      provider: this.config.provider,
      intraOpNumThreads: this.config.threads,
      deviceId: this.config.deviceIndex,
      // The generation engine drives its session step by step and keeps its KV-cache tensors: in-process.
      thread: this.config.sessionThreads && kind !== FunctionKind.TextGeneration,
      label: `"${unit}"`,
      onMove: ({ moved, reason }) =>
        moved
          ? this.logger.log(
              `${unit}: ${reason ?? `runs take ${THREAD_MIN_RUN_MS} ms or more, so its model now runs on a thread of its own (requests and heartbeats are not held during a run)`}`,
            )
          : this.logger.warn(`${unit}: could not move its model to a thread of its own, so it keeps running in-process (a run holds this worker's requests and heartbeats): ${reason}`),
    });
    if (created.note) this.logger.warn(`${unit}: ${created.note}`);
    const model = new LoadedModel(info, handler, created);
    const memoryBytes = Math.max(info.sizeBytes, process.memoryUsage().rss - rss0);
    return { model, loadMs: performance.now() - t0, memoryBytes };
  }
}
