import { LoadedModel } from '../onnx/loaded-model';
import { PreparedRequest } from '@epara/contracts';

export interface ProfileOptions {
  /** Largest batch size to try. Min 1. */
  maxBatchSize: number;
  /** Stop growing the batch once one run takes longer than this, ms. */
  maxRunMs: number;
  /** Timed runs per batch size (after one warm-up run); the median is kept. */
  runs: number;
}

export const DEFAULT_PROFILE_OPTIONS: ProfileOptions = { maxBatchSize: 32, maxRunMs: 400, runs: 5 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * Measures one run's time per batch size 1, 2, 4, … by repeating one sample request. Unbatchable models
 * are measured at 1 only. Returns ms per run keyed by batch size.
 */
export async function measureExecTimes(
  model: LoadedModel,
  sample: PreparedRequest,
  o: ProfileOptions = DEFAULT_PROFILE_OPTIONS,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const limit = model.info.batchable ? o.maxBatchSize : 1;
  for (let b = 1; b <= limit; b *= 2) {
    const batch = new Array<PreparedRequest>(b).fill(sample);
    await model.run(batch);
    const times: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      const t0 = performance.now();
      await model.run(batch);
      times.push(performance.now() - t0);
      if (times[times.length - 1] > o.maxRunMs) break;
    }
    out[String(b)] = Math.round(median(times) * 1000) / 1000;
    if (out[String(b)] > o.maxRunMs) break;
  }
  return out;
}
