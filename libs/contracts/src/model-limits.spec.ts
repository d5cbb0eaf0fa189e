import type { TensorSpec } from './records';
import { itemBytes, unservableInput } from './model-limits';

const input = (shape: (number | string)[], batchAxis: number | null = 0, datatype: TensorSpec['datatype'] = 'FP32'): TensorSpec => ({
  name: 'x',
  datatype,
  shape,
  batchAxis,
});

describe('model limits', () => {
  it('counts one item: fixed dimensions only, not the batch axis or symbolic ones', () => {
    expect(itemBytes(input(['batch', 3, 64, 64]))).toBe(3 * 64 * 64 * 4);
    expect(itemBytes(input([-1, 'h', 'w'], 0, 'INT64'))).toBe(8);
    expect(itemBytes(input([1, 512], null))).toBe(512 * 4);
  });

  it('refuses an input no request body could carry, naming the input, its shape and the limit', () => {
    const why = unservableInput([input([1, 3, 32, 32]), input(['batch', 100000, 100000])], 64 * 1024 * 1024, 'EPARA_MAX_BODY_MB');
    expect(why).toMatch(
      /^input "x" \(FP32 \[batch, 100000, 100000\]\) needs 37\.3 GB for one item, more than .*EPARA_MAX_BODY_MB = 64\.0 MB/,
    );
    expect(unservableInput([input(['batch', 3, 640, 640])], 64 * 1024 * 1024, 'EPARA_MAX_BODY_MB')).toBeUndefined();
  });
});
