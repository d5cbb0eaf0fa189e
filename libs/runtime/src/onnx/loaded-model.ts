import * as ort from 'onnxruntime-node';
import { datatypeFromOrt, EparaError, ModelInfo, ortType, Tensor, TypedArray } from '@epara/contracts';
import { splitTensor, stackTensors } from '../batching/stack';
import { PreparedRequest } from '@epara/contracts';
import { KindHandler } from './kind-handler';
import { CreatedSession } from './session-factory';

/**
 * One function's model on one device: runs a batch of prepared requests as a single onnxruntime call
 * and hands each request its slice of the outputs. onnxruntime-node runs synchronously on the thread
 * that calls it; a worker creates its sessions with `thread: true` (OffloadingSession: a model with long
 * runs moves to a thread of its own) so that the event loop (and the NATS connection) stays responsive
 * while a batch runs.
 */
export class LoadedModel {
  constructor(
    readonly info: ModelInfo,
    readonly kind: KindHandler,
    private readonly created: CreatedSession,
  ) {}

  /** The session itself, for engines that drive it step by step (text generation); created without `thread`. */
  get session(): ort.InferenceSession {
    if (!this.created.local)
      throw new Error(
        `${this.info.sha256.slice(0, 12)}: the session was created with \`thread\` (it may move to a thread of its own); a step-by-step engine needs one created without it`,
      );
    return this.created.local;
  }

  get provider(): string {
    return this.created.provider;
  }

  get providerNote(): string | undefined {
    return this.created.note;
  }

  /**
   * Runs the requests (all of one group key) together; returns outputs per request, in model output
   * order. A request with no items (an `ocr` image without text lines) needs no run: it gets no outputs.
   */
  async run(batch: readonly PreparedRequest[]): Promise<Tensor[][]> {
    const running = batch.filter((r) => r.items > 0);
    if (running.length === batch.length) return this.runAll(batch);
    const outputs = running.length ? await this.runAll(running) : [];
    let next = 0;
    return batch.map((r) => (r.items > 0 ? outputs[next++] : []));
  }

  private async runAll(batch: readonly PreparedRequest[]): Promise<Tensor[][]> {
    const feeds: Record<string, ort.Tensor> = {};
    this.info.inputs.forEach((spec, i) => {
      const t = stackTensors(
        batch.map((r) => r.inputs[i]),
        spec,
      );
      feeds[spec.name] = new ort.Tensor(ortType(t.datatype) as ort.Tensor.Type, t.data as never, t.shape);
    });
    const results = await this.created.session.run(feeds);
    const counts = batch.map((r) => r.items);
    const perOutput = this.info.outputs.map((spec) => {
      const value = results[spec.name];
      const datatype = datatypeFromOrt(value.type);
      if (!datatype) throw new EparaError(500, `output "${spec.name}" has type ${value.type}, which Epara cannot carry`);
      const tensor: Tensor = { name: spec.name, datatype, shape: value.dims.slice(), data: value.data as TypedArray };
      return splitTensor(tensor, spec, counts);
    });
    return batch.map((_, r) => perOutput.map((parts) => parts[r]));
  }

  async release(): Promise<void> {
    await this.created.session.release();
  }
}
