// ONNX Runtime execution: sessions, loaded models, profiling, partitioning, synthetic models. The kinds
// (@epara/kinds) and text generation (@epara/generation) build on it; it knows neither.
export { createSession, ExecutionProvider } from './onnx/session-factory';
export type { CreatedSession, SessionOptions } from './onnx/session-factory';
export { OffloadingSession, THREAD_MIN_RUN_MS, ThreadedSession } from './onnx/threaded-session';
export type { RunnableSession } from './onnx/threaded-session';
export { inspectModel, signatureOf } from './onnx/model-inspector';
export type { ModelSignature } from './onnx/model-inspector';
export { LoadedModel } from './onnx/loaded-model';
export { readModelMetadata, withModelMetadata } from './onnx/model-metadata';
export type { KindHandler } from './onnx/kind-handler';
export { hasGuessedDims, sampleTensors } from './onnx/sample-inputs';
export { splitTensor, stackTensors } from './batching/stack';
export { DEFAULT_PROFILE_OPTIONS, measureExecTimes } from './profiling/profiler';
export type { ProfileOptions } from './profiling/profiler';
export { bundledModelPath, defaultCacheDir, ModelCache, sha256Of } from './model-cache';
export { buildAdd, buildCnn, buildHalfAdd, buildMlp, mulberry32, writeSyntheticModels } from './synthetic';
export type { CnnOptions, MlpOptions, SyntheticModelName } from './synthetic';
export { uniform } from './synthetic/prng';
export { encodeModel, floatInitializer, floatValueInfo, intAttr, intsAttr, node } from './synthetic/onnx-builder';
export type { Dim } from './synthetic/onnx-builder';
export { balanceByMeasured, estimateNodeCost, NODE_OVERHEAD_COST, partitionModel, probeStageSignatures, runPipeline } from './partition';
export type { NodeCostContext, NodeCostFn, PartitionOptions, PartitionResult, PartitionStage, StageSignature } from './partition';
export { withTimeout } from './with-timeout';
export { StepLoop } from './step-loop';
export type { StepLoopHooks } from './step-loop';
