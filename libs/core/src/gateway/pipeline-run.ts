import { EparaError } from '@epara/contracts/errors';
import { Header, MediaType } from '@epara/contracts/headers';
import type { Tensor } from '@epara/contracts/tensor';
import { Mode } from '@epara/contracts/vocabulary';
import type { PipelinePlan, PlannedStage } from './pipeline-plan';

/** One step of a run: the stage, the tensors to send it, and the headers its request carries. */
export interface PipelineStep {
  stage: PlannedStage;
  feeds: Tensor[];
  /** The stage request's headers: msgpack both ways, the request's deadline and id, the stage index. */
  headers: Record<string, string>;
}

/** What a stage's worker reported with its reply. */
export interface StageServed {
  device: string;
  execMs: number;
  queueMs: number;
}

/**
 * One request going through a PipelinePlan. It keeps every tensor produced so far (a later stage may
 * read an early one), hands out the next step, takes each stage's outputs, and builds the final reply.
 */
export class PipelineRun {
  private readonly live: Map<string, Tensor>;
  private position = -1;
  private readonly devices: string[] = [];
  private execMs = 0;
  private queueMs = 0;

  constructor(
    readonly plan: PipelinePlan,
    inputs: readonly Tensor[],
    /** Absolute deadline, epoch ms: the same for every stage, since each stage batches on its own worker. */
    readonly deadlineMs: number,
    readonly requestId: string,
  ) {
    this.live = new Map(inputs.map((t) => [t.name, t]));
  }

  /** The next stage to send, or undefined when every stage has answered. Throws 400 when an input it reads is missing. */
  next(): PipelineStep | undefined {
    const stage = this.plan.stageAfter(this.position);
    if (!stage) return undefined;
    const feeds = stage.inputs.map((spec) => {
      const t = this.live.get(spec.name);
      if (!t)
        throw EparaError.badInput(`missing input "${spec.name}": expected ${spec.datatype} [${spec.shape.join(',')}]`, {
          input: spec.name,
        });
      return t;
    });
    const headers = {
      [Header.ContentType]: MediaType.Msgpack,
      [Header.Accept]: MediaType.Msgpack,
      [Header.Deadline]: String(this.deadlineMs),
      [Header.RequestId]: this.requestId,
      [Header.Stage]: String(stage.index),
    };
    return { stage, feeds, headers };
  }

  /** The stage handed out by `next` answered with `outputs`. */
  stageDone(outputs: readonly Tensor[], served: StageServed): void {
    this.position++;
    for (const t of outputs) this.live.set(t.name, t);
    this.devices.push(served.device);
    this.execMs += served.execMs;
    this.queueMs += served.queueMs;
  }

  /** The final reply: the wanted outputs in order and the serving headers. Throws 500 when a stage left one out. */
  reply(): { outputs: Tensor[]; headers: Record<string, string> } {
    const outputs = this.plan.wanted.map((name) => {
      const t = this.live.get(name);
      if (!t) throw new EparaError(500, `pipeline of "${this.plan.fn}" did not produce output "${name}"`);
      return t;
    });
    const headers = {
      [Header.Device]: this.devices.join(','),
      [Header.Mode]: Mode.Pp,
      [Header.BatchSize]: '1',
      [Header.ExecMs]: this.execMs.toFixed(3),
      [Header.QueueMs]: this.queueMs.toFixed(3),
      [Header.RequestId]: this.requestId,
    };
    return { outputs, headers };
  }
}
