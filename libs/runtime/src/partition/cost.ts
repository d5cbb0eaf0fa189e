import type { onnx } from 'onnx-proto';
import type { NodeCostContext, NodeCostFn, PartitionResult } from './types';

/**
 * Ops whose work grows with their weights: each weight element is used once per output position, so
 * weight elements are a FLOP proxy per output position (a multiply-add each).
 */
const WEIGHT_BOUND_OPS = new Set([
  'Conv',
  'ConvTranspose',
  'ConvInteger',
  'QLinearConv',
  'Gemm',
  'MatMul',
  'MatMulInteger',
  'QLinearMatMul',
  'Einsum',
  'LSTM',
  'GRU',
  'RNN',
  'Attention',
  'MultiHeadAttention',
  'QAttention',
  'FusedConv',
  'FusedGemm',
  'FusedMatMul',
]);

/** Every node costs at least this much (kernel launch, memory traffic of an elementwise op), in weight-element units. */
export const NODE_OVERHEAD_COST = 1024;

/**
 * Default cost: weight elements read by weight-bound ops (Conv, Gemm, MatMul, RNNs…) plus
 * NODE_OVERHEAD_COST per node; a subgraph-bearing node (If/Loop/Scan) adds the weights of its bodies.
 *
 * It is a static estimate without shapes: it ignores the spatial extent a Conv sweeps, so in a CNN it
 * under-weights early high-resolution layers and over-weights deep narrow ones, and a Loop counts
 * its body once. Pass measured costs (see balanceByMeasured) when balance matters.
 */
export function estimateNodeCost(node: onnx.INodeProto, context: NodeCostContext): number {
  const weightBound = WEIGHT_BOUND_OPS.has(node.opType ?? '') ? context.weightElements : 0;
  return NODE_OVERHEAD_COST + weightBound + context.subgraphWeightElements;
}

/**
 * Profile-driven rebalancing (PipeDream's idea: partition by measured stage times, not by estimates).
 * Given a partition and each stage's measured time, returns a cost function under which each stage of
 * that partition costs exactly its measured time, spread over its nodes in proportion to `base`.
 * Partition again with it to move work away from slow stages.
 *
 * `base` must be the cost function that produced `previous` (default: estimateNodeCost).
 */
export function balanceByMeasured(
  previous: PartitionResult,
  stageTimesMs: readonly number[],
  base: NodeCostFn = estimateNodeCost,
): NodeCostFn {
  if (stageTimesMs.length !== previous.stages.length) {
    throw new Error(`balanceByMeasured: ${stageTimesMs.length} times for ${previous.stages.length} stages`);
  }
  if (stageTimesMs.some((t) => !(t > 0) || !Number.isFinite(t))) {
    throw new Error(`balanceByMeasured: stage times must be positive and finite, got [${stageTimesMs.join(', ')}]`);
  }
  const scaleOf = previous.stages.map((stage, i) => stageTimesMs[i] / Math.max(stage.estimatedCost, Number.MIN_VALUE));
  const stageAt = (position: number) => previous.stages.findIndex((s) => position >= s.nodeRange[0] && position < s.nodeRange[1]);
  return (node, context) => {
    const stage = stageAt(context.position);
    if (stage < 0)
      throw new Error(`balanceByMeasured: node at position ${context.position} is in no stage of the previous partition (another model?)`);
    return base(node, context) * scaleOf[stage];
  };
}
