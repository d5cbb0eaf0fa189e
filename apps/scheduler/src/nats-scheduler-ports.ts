import { Categorization, DevicePlacement, EventKind, EventPublisher, FunctionRecord } from '@epara/contracts';
import { FunctionStore, PlacementStore, Recategorization, SchedulerEvents } from '@epara/core';
import { FunctionRepository, KvMirror, PlacementRepository, UpdateStatus } from '@epara/nats';

/** Function records from the KV mirror; a re-categorization is the repository's compare-and-set on `epara_functions`. */
export class KvFunctionStore implements FunctionStore {
  constructor(
    private readonly repository: FunctionRepository,
    private readonly mirror: KvMirror<FunctionRecord>,
  ) {}

  all(): readonly FunctionRecord[] {
    return this.mirror.all();
  }

  async recategorize({ record }: Recategorization): Promise<FunctionRecord | undefined> {
    const outcome = await this.repository.update(record.name, (stored) => ({
      ...stored,
      category: record.category,
      observed: record.observed,
      updatedAt: record.updatedAt,
    }));
    if (outcome.status !== UpdateStatus.Updated) return undefined;
    this.mirror.remember(record.name, outcome.value);
    return outcome.value;
  }
}

/** The placement from the cluster's mirror of `epara_placement`; writes go through the repository. */
export class KvPlacementStore implements PlacementStore {
  constructor(
    private readonly repository: PlacementRepository,
    private readonly current: () => DevicePlacement[],
  ) {}

  all(): readonly DevicePlacement[] {
    return this.current();
  }

  async put(p: DevicePlacement): Promise<void> {
    await this.repository.save(p);
  }

  remove(device: string): Promise<void> {
    return this.repository.delete(device);
  }
}

/** The scheduler's lifecycle events, typed, on `epara.v1.events.<kind>`. */
export class BusSchedulerEvents implements SchedulerEvents {
  constructor(private readonly bus: EventPublisher) {}

  placed(p: DevicePlacement): void {
    this.bus.emit(EventKind.Placed, p);
  }

  recategorized(fn: string, from: Categorization, to: Categorization): void {
    this.bus.emit(EventKind.Recategorized, { function: fn, from, to });
  }

  deviceLost(device: string): void {
    this.bus.emit(EventKind.DeviceLost, { device });
  }
}
