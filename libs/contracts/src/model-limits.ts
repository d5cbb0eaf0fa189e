import type { TensorSpec } from './records';
import { bytesPerElement } from './tensor';

/** Bytes one item of an input takes: its fixed dimensions multiplied, the batch axis and symbolic ones counted as 1. */
export function itemBytes(input: TensorSpec): number {
  let elements = 1;
  input.shape.forEach((d, axis) => {
    if (axis !== input.batchAxis && typeof d === 'number' && d > 0) elements *= d;
  });
  return elements * bytesPerElement(input.datatype);
}

/** In the units of the EPARA_*_MB variables (MiB, GiB). */
const mb = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${(bytes / 2 ** 20).toFixed(1)} MB`);

/**
 * Why a model can never be served through a gateway that takes request bodies up to `maxBodyBytes`:
 * an input whose single item is larger than any request could carry (a declared [batch, 100000,
 * 100000] FP32 input is 40 GB an item). Undefined when every input fits. Deploy refuses such a model
 * with this reason instead of letting workers try to load it.
 */
export function unservableInput(inputs: readonly TensorSpec[], maxBodyBytes: number, limitName: string): string | undefined {
  for (const input of inputs) {
    const bytes = itemBytes(input);
    if (bytes > maxBodyBytes) {
      return `input "${input.name}" (${input.datatype} [${input.shape.join(', ')}]) needs ${mb(bytes)} for one item, more than the largest request body this gateway accepts (${limitName} = ${mb(maxBodyBytes)}): no request could ever carry it`;
    }
  }
  return undefined;
}
