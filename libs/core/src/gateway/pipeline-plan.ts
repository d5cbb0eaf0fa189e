import { type StageInfo, type TensorSpec, unitKey } from '@epara/contracts/records';
import type { Tensor } from '@epara/contracts/tensor';
import { PipelineRun } from './pipeline-run';

/** One stage of a `pp` function as its plan runs it. */
export interface PlannedStage {
  /** The stage's index in the model (`Epara-Stage`). */
  index: number;
  /** The unit placed and reported for it (`<fn>#<index>`): what its replicas are listed under. */
  unit: string;
  /** The tensors it reads, in its model's input order. */
  inputs: readonly TensorSpec[];
  /**
   * What it is asked to return: only what a later stage reads or the caller asked for. A stage's side
   * outputs can be far larger than its cut (ISNet's last stage yields 12 maps, ~120 MB).
   */
  returns: readonly string[];
}

/** The function a plan is made for: its name and its model's outputs and stages. */
export interface PipelineFunction {
  name: string;
  model: { outputs: readonly { name: string }[]; stages?: readonly StageInfo[] };
}

/**
 * The `pp` chain of one request as data: the stages in order, what each reads and returns, and which
 * outputs make the final reply. The executor (the gateway today) runs it with a `PipelineRun`.
 */
export class PipelinePlan {
  readonly stages: readonly PlannedStage[];

  private constructor(
    readonly fn: string,
    /** The outputs of the final reply, in order: the caller's choice or the model's outputs. */
    readonly wanted: readonly string[],
    stages: readonly StageInfo[],
  ) {
    // A kind's own stage carries other tensors than its model reads and writes (StageInfo.carries).
    const carried = (s: StageInfo) => s.carries ?? s;
    this.stages = stages.map((stage) => {
      const needed = new Set([
        ...wanted,
        ...stages.filter((s) => s.index > stage.index).flatMap((s) => carried(s).inputs.map((i) => i.name)),
      ]);
      return {
        index: stage.index,
        unit: unitKey(fn, stage.index),
        inputs: carried(stage).inputs,
        returns: carried(stage)
          .outputs.map((o) => o.name)
          .filter((n) => needed.has(n)),
      };
    });
  }

  /** The plan of a request of `record` that asked for `outputNames` (all the model's outputs when absent). */
  static of(record: PipelineFunction, outputNames?: readonly string[]): PipelinePlan {
    return new PipelinePlan(record.name, outputNames ?? record.model.outputs.map((o) => o.name), record.model.stages ?? []);
  }

  /** The stage that runs after the one at position `position` (the first for -1); undefined after the last. */
  stageAfter(position: number): PlannedStage | undefined {
    return this.stages[position + 1];
  }

  /** Starts one request through the chain; every stage carries the request's own deadline. */
  start(inputs: readonly Tensor[], deadlineMs: number, requestId: string): PipelineRun {
    return new PipelineRun(this, inputs, deadlineMs, requestId);
  }
}
