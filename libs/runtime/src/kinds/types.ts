import { Invocation, InvocationResult, ModelInfo, Tensor } from '@epara/contracts';

/** A request made ready for the model: validated, decoded, in the model's input order. */
export interface PreparedRequest {
  /** Model inputs, in the model's input order. */
  inputs: Tensor[];
  /** Items on the batch axis (a request may carry several). */
  items: number;
  /** Requests with equal keys can share one run: same non-batch dimensions, equal unbatched inputs. */
  groupKey: string;
  /** Output names the caller asked for; all when undefined. */
  outputNames?: string[];
  /** What the kind needs to finish the reply (e.g. the image scale). */
  context?: unknown;
}

/** A kind owns pre- and post-processing, so that functions stay declarative (DESIGN.md §7). */
export interface KindHandler {
  /** Validates and decodes; throws EparaError(400) naming what is wrong. */
  prepare(invocation: Invocation, model: ModelInfo): Promise<PreparedRequest>;
  /** Turns this request's slice of the model outputs into its reply. */
  finish(outputs: Tensor[], prepared: PreparedRequest): Promise<InvocationResult> | InvocationResult;
  /** A one-item request with synthetic data for profiling; `dims` sizes symbolic dimensions. */
  sample(model: ModelInfo, dims?: Record<string, number>): PreparedRequest;
  /** Whether one request can be cut into parts that run on several devices (`sp` mode). */
  readonly canSplit: boolean;
}
