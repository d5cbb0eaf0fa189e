import { onnx } from 'onnx-proto';

/** The model's `metadata_props` (ONNX key/value strings, e.g. a recognizer's character list). */
export function readModelMetadata(model: Uint8Array): Record<string, string> {
  const decoded = onnx.ModelProto.decode(model);
  return Object.fromEntries((decoded.metadataProps ?? []).map((p) => [p.key ?? '', p.value ?? '']));
}

/** The model with `props` set in its `metadata_props` (others kept): a new artifact, with its own sha256. */
export function withModelMetadata(model: Uint8Array, props: Record<string, string>): Uint8Array {
  const decoded = onnx.ModelProto.decode(model);
  const kept = (decoded.metadataProps ?? []).filter((p) => !((p.key ?? '') in props));
  decoded.metadataProps = [...kept, ...Object.entries(props).map(([key, value]) => onnx.StringStringEntryProto.create({ key, value }))];
  return onnx.ModelProto.encode(decoded).finish();
}
