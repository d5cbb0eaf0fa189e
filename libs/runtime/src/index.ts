export * from './onnx/session-factory';
export * from './onnx/model-inspector';
export * from './onnx/loaded-model';
export * from './batching/stack';
export * from './kinds';
export * from './profiling/profiler';
export * from './model-cache';
export * from './synthetic';
