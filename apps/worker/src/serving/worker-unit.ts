import type { Assignment, ModelInfo } from '@epara/contracts';
import type { ServingUnit, WantedUnit } from '@epara/core';
import type { LoadedModel } from '@epara/runtime';

/** A unit the placement asks of this worker: its assignment, record, and the model it names. */
export interface WorkerWanted extends WantedUnit {
  readonly assignment: Assignment;
  /** The model to load: the record's, or one stage's for `pp`. */
  readonly info: ModelInfo;
}

/** A unit loaded on this worker: its onnxruntime (or generation) model behind the reconciler's unit. */
export type WorkerUnit = ServingUnit<WorkerWanted, LoadedModel>;
