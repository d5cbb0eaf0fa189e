import { Invocation, InvocationResult, KindCapabilities, ModelInfo, PreparedRequest, Tensor } from '@epara/contracts';

/** A kind owns pre- and post-processing, so that functions stay declarative; its capabilities are the contracts' data. */
export interface KindHandler extends KindCapabilities {
  /** Validates and decodes; throws EparaError(400) naming what is wrong. */
  prepare(invocation: Invocation, model: ModelInfo): Promise<PreparedRequest>;
  /** Turns this request's slice of the model outputs into its reply. */
  finish(outputs: Tensor[], prepared: PreparedRequest): Promise<InvocationResult> | InvocationResult;
  /** A one-item request with synthetic data for profiling; `dims` sizes symbolic dimensions. */
  sample(model: ModelInfo, dims?: Record<string, number>): PreparedRequest;
}
