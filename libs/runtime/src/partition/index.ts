export { partitionModel } from './partitioner';
export { runPipeline } from './pipeline-runner';
export { estimateNodeCost, balanceByMeasured, NODE_OVERHEAD_COST } from './cost';
export type { NodeCostContext, NodeCostFn, PartitionOptions, PartitionResult, PartitionStage } from './types';
export { probeStageSignatures } from './probe-stages';
export type { StageSignature } from './probe-stages';
