import { Logger } from '@nestjs/common';
import { EparaError, FunctionKind, Profile } from '@epara/contracts';
import type { BatchFeedback, LoadedUnit, ModelHost, PendingRequest } from '@epara/core';
import { hasGuessedDims, LoadedModel } from '@epara/runtime';
import { ModelManager } from '../models/model-manager';
import { GenerationServer } from './generation-server';
import { VadStreamServer } from './vad-stream-server';
import { WorkerProfiler } from './worker-profiler';
import type { WorkerUnit, WorkerWanted } from './worker-unit';

/**
 * The reconciler's ModelHost on a live worker: loads and warms models through ModelManager
 * (onnxruntime), profiles them into the function record, runs their batches, and serves
 * text-generation units through the GenerationServer and audio-vad units through the VadStreamServer
 * instead of the executor.
 */
export class WorkerModelHost implements ModelHost<WorkerWanted, LoadedModel> {
  private readonly logger = new Logger(WorkerModelHost.name);
  /** The provider sessions actually run on, and why it differs from the configured one. */
  provider: string;
  providerNote?: string;

  constructor(
    private readonly device: string,
    private readonly deviceClass: string,
    configuredProvider: string,
    /** Profile what has no profile for this device class (off in some tests). */
    private readonly profiling: boolean,
    private readonly models: ModelManager,
    private readonly profiler: WorkerProfiler,
    private readonly generation: GenerationServer,
    private readonly vad: VadStreamServer,
    private readonly feedback: BatchFeedback<WorkerWanted, LoadedModel>,
  ) {
    this.provider = configuredProvider;
  }

  async load(w: WorkerWanted): Promise<LoadedUnit<LoadedModel>> {
    const { record, info, assignment } = w;
    const { model, loadMs, memoryBytes } = await this.models.load(record, info, assignment.stage);
    if (model.providerNote) this.providerNote = model.providerNote;
    this.provider = model.provider;
    let profile: Profile | undefined = record.profiles[this.deviceClass];
    // Stages are not profiled into the record: its profile describes the whole model.
    const generative = record.kind === FunctionKind.TextGeneration;
    const profilable = this.profiling && assignment.stage === undefined && !generative;
    // A tensor model with dynamic sizes besides the batch would be timed on a guessed (1-sized) input:
    // its first real request is the sample instead (`needsProfile`).
    const guessed = record.kind === FunctionKind.Tensor && hasGuessedDims(model.info);
    if (!profile && profilable && !guessed)
      profile = await this.profiler.profile(record, model, loadMs, memoryBytes, model.kind.sample(model.info));
    this.logger.log(`loaded ${w.unit} on ${this.device} (${model.provider}) in ${loadMs.toFixed(0)} ms, mode ${assignment.mode}`);
    return {
      model,
      memoryBytes,
      loadMs,
      batchable: model.info.batchable,
      execMsByBatch: profile?.execMsByBatch,
      needsProfile: !profile && profilable,
    };
  }

  serve(u: WorkerUnit): ((batch: PendingRequest[]) => Promise<void>) | undefined {
    if (u.record.kind === FunctionKind.TextGeneration) this.generation.attach(u);
    else if (u.record.kind === FunctionKind.AudioVad) this.vad.attach(u);
    else return (batch) => this.runBatch(u, batch);
    return undefined;
  }

  async unload(u: WorkerUnit, reloaded: boolean): Promise<void> {
    if (!reloaded) await Promise.all([this.generation.detach(u.unit), this.vad.detach(u.unit)]);
    await u.model.release().catch(() => undefined);
  }

  private async runBatch(u: WorkerUnit, batch: PendingRequest[]): Promise<void> {
    const start = Date.now();
    const t0 = performance.now();
    let outputs;
    try {
      outputs = await u.model.run(batch.map((r) => r.prepared));
    } catch (e) {
      const err = e instanceof EparaError ? e : new EparaError(500, `model run failed: ${(e as Error).message?.split('\n')[0]}`);
      for (const r of batch) r.settle({ error: err });
      return;
    }
    const execMs = performance.now() - t0;
    const items = batch.reduce((n, r) => n + r.prepared.items, 0);
    this.feedback.afterRun(u, batch, items, execMs);
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i];
      const served = { batchSize: batch.length, queueMs: Math.max(0, start - r.arrivalMs), execMs };
      try {
        const result = await u.model.kind.finish(outputs[i], r.prepared);
        r.settle({ result, served });
      } catch (e) {
        r.settle({ error: e instanceof EparaError ? e : new EparaError(500, `post-processing failed: ${(e as Error).message}`), served });
      }
    }
  }
}
