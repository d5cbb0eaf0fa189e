import { Logger } from '@nestjs/common';
import { EventKind, EventPublisher, FunctionRecord, PreparedRequest, Profile } from '@epara/contracts';
import type { DeferredProfiler } from '@epara/core';
import { FunctionRepository, UpdateStatus } from '@epara/nats';
import { LoadedModel, measureExecTimes } from '@epara/runtime';
import type { WorkerUnit, WorkerWanted } from './worker-unit';

/**
 * Measures a model's exec time per batch size on this device class, stores it in the function
 * record (compare-and-set: others write the record too) and announces it. Profiles with synthetic
 * inputs at load, or (`profileWith`) with the first live request when those did not fit the model.
 */
export class WorkerProfiler implements DeferredProfiler<WorkerWanted, LoadedModel> {
  private readonly logger = new Logger(WorkerProfiler.name);

  constructor(
    private readonly device: string,
    private readonly deviceClass: string,
    private readonly functions: FunctionRepository,
    private readonly events: EventPublisher,
  ) {}

  async profile(
    record: FunctionRecord,
    model: LoadedModel,
    loadMs: number,
    memoryBytes: number,
    sample: PreparedRequest,
  ): Promise<Profile | undefined> {
    try {
      const execMsByBatch = await measureExecTimes(model, sample);
      const profile: Profile = {
        deviceClass: this.deviceClass,
        execMsByBatch,
        memoryBytes,
        loadMs: Math.round(loadMs),
        shapeClass: sample.inputs[0]?.shape.slice(1).join('x') ?? '',
        measuredAt: Date.now(),
        device: this.device,
      };
      await this.save(record.name, profile);
      this.events.emit(EventKind.Profiled, { function: record.name, device: this.device, profile });
      this.logger.log(`profiled ${record.name} on ${this.deviceClass}: ${JSON.stringify(execMsByBatch)} ms per batch size`);
      return profile;
    } catch (e) {
      const synthetic = sample.groupKey === 'sample';
      this.logger.warn(
        `could not profile ${record.name} with ${synthetic ? 'synthetic inputs' : 'a live request'} (${(e as Error).message.split('\n')[0]}); ${synthetic ? 'the first live request will be the sample' : 'batch times are learned from live requests'}`,
      );
      return undefined;
    }
  }

  /** Profiles with a live request, after the batch it came in has been answered. */
  profileWith(u: WorkerUnit, sample: PreparedRequest): Promise<Readonly<Record<string, number>> | undefined> {
    return new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.profile(u.record, u.model, u.loadMs, u.memoryBytes, sample))
      .then((profile) => profile?.execMsByBatch);
  }

  private async save(fn: string, profile: Profile): Promise<void> {
    const outcome = await this.functions.update(fn, (record) => ({
      ...record,
      profiles: { ...record.profiles, [profile.deviceClass]: profile },
      updatedAt: Date.now(),
    }));
    if (outcome.status === UpdateStatus.Conflict)
      this.logger.warn(`gave up storing the profile of ${fn} after ${outcome.attempts} conflicting updates`);
  }
}
