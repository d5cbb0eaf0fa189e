import type { onnx } from 'onnx-proto';

/** What a cost function may use besides the node itself. */
export interface NodeCostContext {
  /** Position in the topological order of compute nodes; the same model always gives the same order. */
  position: number;
  /** Elements of the weights (initializers, Constants, weights computed from weights) the node reads. */
  weightElements: number;
  /** Bytes of all the weights it needs (sources of computed weights included, subgraph weights included). */
  weightBytes: number;
  /** Elements of the weights held inside its subgraphs (If/Loop/Scan). */
  subgraphWeightElements: number;
}

/** Estimated relative cost of one node (any unit: only ratios between nodes matter). */
export type NodeCostFn = (node: onnx.INodeProto, context: NodeCostContext) => number;

export interface PartitionOptions {
  /** Number of pipeline stages K (≥ 1, at most the number of compute nodes). */
  stages: number;
  /** Cost per node; default {@link estimateNodeCost}. */
  weights?: NodeCostFn;
  /** Upper bound on each stage's weight bytes (a device's memory share for weights); fails when impossible. */
  maxStageBytes?: number;
  /**
   * How far a cut may move from the cost-balanced point to find a narrower crossing, as a fraction of
   * one stage's ideal cost. Default 0.1: stages stay within about ±10% of equal cost.
   */
  balanceSlack?: number;
}

export interface PartitionStage {
  index: number;
  /** A complete ONNX model (same IR version, opsets and functions as the original). */
  model: Uint8Array;
  /** Graph inputs, in order: original graph inputs it reads, then tensors produced by earlier stages. */
  inputs: string[];
  /** Graph outputs, in order: original graph outputs it produces, then tensors later stages read. */
  outputs: string[];
  /** Nodes in the stage graph, copied Constant (weight) nodes included. */
  nodeCount: number;
  /** [first, end) positions of its compute nodes in the topological order (see NodeCostContext.position). */
  nodeRange: [number, number];
  /** Bytes of the weights it holds; a weight read by two stages is in both. */
  weightBytes: number;
  /** Sum of its nodes' costs (units of the cost function used). */
  estimatedCost: number;
}

export interface PartitionResult {
  stages: PartitionStage[];
  /**
   * `cutTensors[j]`: what must travel from stage j to stage j+1 — every tensor available after stage j
   * (original inputs included) that a later stage reads, plus original outputs produced so far. A
   * tensor that stage j+2 needs passes through the runner at cut j and cut j+1; stage j+1's model does
   * not forward it (see runPipeline).
   */
  cutTensors: string[][];
  /** The original model's graph inputs (feeds) and outputs. */
  modelInputs: string[];
  modelOutputs: string[];
  /** Why these cuts: costs, bytes, crossings, constraints, in words. */
  reason: string;
}
