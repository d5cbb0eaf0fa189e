import { KV } from 'nats';
import { Categorization, DevicePlacement, EventKind, FunctionRecord, subjects } from '@epara/contracts';
import { FunctionStore, PlacementStore, Recategorization, SchedulerEvents } from '@epara/core';
import { KvMirror, NatsClient } from '@epara/nats';

/** Attempts at a compare-and-set write of a record before the round leaves it to the next one. */
const RECATEGORIZE_ATTEMPTS = 1;

/** Function records from the KV mirror; a re-categorization is a compare-and-set on `epara_functions`. */
export class KvFunctionStore implements FunctionStore {
  constructor(
    private readonly kv: KV,
    private readonly mirror: KvMirror<FunctionRecord>,
  ) {}

  all(): readonly FunctionRecord[] {
    return this.mirror.all();
  }

  async recategorize({ record }: Recategorization): Promise<FunctionRecord | undefined> {
    for (let i = 0; i < RECATEGORIZE_ATTEMPTS; i++) {
      const e = await this.kv.get(record.name);
      if (!e || e.operation !== 'PUT') return undefined;
      const fresh = { ...(JSON.parse(Buffer.from(e.value).toString('utf8')) as FunctionRecord), category: record.category, observed: record.observed, updatedAt: record.updatedAt };
      try {
        await this.kv.update(record.name, Buffer.from(JSON.stringify(fresh)), e.revision);
        this.mirror.remember(record.name, fresh);
        return fresh;
      } catch {
        /* changed meanwhile */
      }
    }
    return undefined;
  }
}

/** The placement from the cluster's mirror of `epara_placement`; writes go to KV. */
export class KvPlacementStore implements PlacementStore {
  constructor(
    private readonly kv: KV,
    private readonly current: () => DevicePlacement[],
  ) {}

  all(): readonly DevicePlacement[] {
    return this.current();
  }

  async put(p: DevicePlacement): Promise<void> {
    await this.kv.put(p.device, Buffer.from(JSON.stringify(p)));
  }

  async remove(device: string): Promise<void> {
    await this.kv.delete(device);
  }
}

/** The scheduler's lifecycle events on `epara.v1.events.<kind>`. */
export class NatsSchedulerEvents implements SchedulerEvents {
  constructor(private readonly nats: NatsClient) {}

  private emit(kind: EventKind, body: object): void {
    this.nats.nc.publish(subjects.event(kind), Buffer.from(JSON.stringify({ kind, ...body })));
  }

  placed(p: DevicePlacement): void {
    this.emit(EventKind.Placed, p);
  }

  recategorized(fn: string, from: Categorization, to: Categorization): void {
    this.emit(EventKind.Recategorized, { at: Date.now(), function: fn, from, to });
  }

  deviceLost(device: string): void {
    this.emit(EventKind.DeviceLost, { at: Date.now(), device });
  }
}
