import type { Categorization, DevicePlacement, DeviceState, FunctionRecord } from '@epara/contracts';
import type { Clock } from '../ports/clock';
import type { Recategorization, RoundPolicy } from './scheduler-round';

/** The function records as the scheduler reads and re-categorizes them (KV `epara_functions`). */
export interface FunctionStore {
  all(): readonly FunctionRecord[];
  /**
   * Writes a new category (and observed rate) over the stored record by compare-and-set. Resolves to
   * the stored record, or undefined when the record is gone or kept changing (the next round sees it).
   */
  recategorize(change: Recategorization): Promise<FunctionRecord | undefined>;
}

/** The placement as the scheduler reads and writes it (KV `epara_placement`, one key per device). */
export interface PlacementStore {
  all(): readonly DevicePlacement[];
  put(placement: DevicePlacement): Promise<void>;
  remove(device: string): Promise<void>;
}

/** Devices as heartbeats report them. */
export interface DeviceFeed {
  /** Devices whose last heartbeat is at most `maxAgeMs` old. */
  liveDevices(maxAgeMs: number): readonly DeviceState[];
  /** Age of the device's last heartbeat, ms (Infinity when never seen). */
  ageMs(device: string): number;
  forget(device: string): void;
}

/** What the scheduler tells the rest of the system (`epara.v1.events.*`). */
export interface SchedulerEvents {
  placed(placement: DevicePlacement): void;
  recategorized(fn: string, from: Categorization, to: Categorization): void;
  deviceLost(device: string): void;
}

/** Lines for the operator: what changed and why. */
export interface LoopLog {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface SchedulerPorts {
  functions: FunctionStore;
  placements: PlacementStore;
  devices: DeviceFeed;
  events: SchedulerEvents;
  /** Only the holder of the leader lock acts. */
  leadership: { readonly isLeader: boolean };
  clock: Clock;
  log: LoopLog;
}

export interface SchedulerLoopConfig {
  policy: RoundPolicy;
  /** A device whose last heartbeat is older than this is lost, ms. */
  deviceLostMs: number;
  /** How long a lost device's placement key is kept for its return, ms (0: removed at once). Default 0. */
  deviceRejoinMs?: number;
}
