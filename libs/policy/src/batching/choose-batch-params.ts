import { parseExecTable } from '../util/exec-table';
import { fmtMs, fmtNum } from '../util/format';
import {
  BATCH_EXEC_SLO_FRACTION,
  BATCH_QUEUE_DELAY_SLO_FRACTION,
  ChooseBatchParamsInput,
  ChosenBatchParams,
  DEFAULT_BATCH_SIZE_WITHOUT_PROFILE,
  DP_EXEC_SLO_FRACTION,
  DP_MAX_QUEUE_DELAY_MS,
  DP_QUEUE_DELAY_SLO_FRACTION,
} from './types';

/**
 * Batching parameters for one function on one device class, from its measured times and SLO.
 * - batch: preferred = the measured size with the best throughput (items/ms) among those that run in
 *   ≤ SLO/2 (ties → smaller); max = the largest such size.
 * - dp: preferred = the largest size that runs in ≤ SLO/4; max as for batch; a short max queue delay.
 * Hints cap the batch size and pin the delay. Re-run it with an estimator snapshot
 * (`AdaptiveExecEstimator.snapshot()`) to adapt to measured times.
 */
export function chooseBatchParams(input: ChooseBatchParamsInput): ChosenBatchParams {
  const { sloMs, mode, hints } = input;
  const hintMax = hints?.maxBatchSize !== undefined && hints.maxBatchSize >= 1 ? Math.floor(hints.maxBatchSize) : Infinity;
  // Reasons are built only when read (see `limits`), so each part of one is a function.
  const delayFor = (computed: number, why: () => string): [number, () => string] =>
    hints?.maxQueueDelayMs !== undefined && hints.maxQueueDelayMs >= 0
      ? [hints.maxQueueDelayMs, () => `max queue delay ${fmtMs(hints.maxQueueDelayMs!)} (hint)`]
      : [computed, () => `max queue delay ${fmtMs(computed)} = ${why()}`];
  const dpDelay = (): [number, () => string] =>
    delayFor(Math.min(DP_MAX_QUEUE_DELAY_MS, DP_QUEUE_DELAY_SLO_FRACTION * sloMs), () => `min(${DP_MAX_QUEUE_DELAY_MS} ms, 10% SLO)`);

  if (input.batchable === false) {
    const [delay, delayWhy] = mode === 'dp' ? dpDelay() : delayFor(0, () => 'no wait (no batch dimension)');
    return limits(1, 1, delay, () => `${mode}: not batchable, batch 1; ${delayWhy()}`);
  }

  const table = parseExecTable(input.execMsByBatch);
  if (table.sizes.length === 0) {
    const size = mode === 'dp' ? 1 : Math.min(DEFAULT_BATCH_SIZE_WITHOUT_PROFILE, hintMax);
    const [delay, delayWhy] = mode === 'dp' ? dpDelay() : delayFor(BATCH_QUEUE_DELAY_SLO_FRACTION * sloMs, () => 'SLO/4');
    return limits(Math.min(size, hintMax), size, delay, () => `${mode}: no profile, preferred ${size} by default; ${delayWhy()}`);
  }

  const budgetMs = BATCH_EXEC_SLO_FRACTION * sloMs;
  const preferredBudgetMs = mode === 'dp' ? DP_EXEC_SLO_FRACTION * sloMs : budgetMs;
  let maxIdx = -1;
  let prefIdx = -1;
  for (let i = 0; i < table.sizes.length; i++) {
    const size = table.sizes[i];
    const ms = table.ms[i];
    if (size > hintMax) break;
    if (ms <= budgetMs) maxIdx = i;
    if (ms > preferredBudgetMs) continue;
    if (mode === 'dp') prefIdx = i;
    // Best throughput; strictly better only, so ties keep the smaller (faster) batch.
    else if (prefIdx < 0 || size * table.ms[prefIdx] > table.sizes[prefIdx] * ms) prefIdx = i;
  }

  if (prefIdx < 0) {
    // Even the smallest measured size is over budget: run requests alone, as soon as they come.
    const [delay, delayWhy] = mode === 'dp' ? dpDelay() : delayFor(0, () => 'no wait (over budget)');
    return limits(1, 1, delay, () => `${mode}: no measured size runs within ${fmtMs(preferredBudgetMs)}, batch 1; ${delayWhy()}`);
  }
  const preferred = table.sizes[prefIdx];
  const prefMs = table.ms[prefIdx];
  const max = Math.max(preferred, maxIdx >= 0 ? table.sizes[maxIdx] : preferred);
  const [delay, delayWhy] =
    mode === 'dp'
      ? dpDelay()
      : delayFor(
          Math.max(0, Math.min(BATCH_QUEUE_DELAY_SLO_FRACTION * sloMs, sloMs - 2 * prefMs)),
          () => `min(SLO/4, SLO − 2 × ${fmtMs(prefMs)})`,
        );
  const why = () =>
    mode === 'dp'
      ? `largest size within SLO/4 (${fmtMs(prefMs)} ≤ ${fmtMs(preferredBudgetMs)})`
      : `best throughput ${fmtNum(preferred / prefMs)} items/ms within SLO/2 (${fmtMs(prefMs)} ≤ ${fmtMs(budgetMs)})`;
  const capped = hintMax < Infinity ? ` (hint caps at ${hintMax})` : '';
  return limits(max, preferred, delay, () => `${mode}: preferred ${preferred}, ${why()}; max ${max}${capped}; ${delayWhy()}`);
}

/**
 * The chosen limits, with a reason built only when someone reads it: workers and the simulator
 * recompute limits for every unit on every heartbeat and read only the numbers, while formatting the
 * reason's figures cost more than choosing them.
 */
function limits(maxBatchSize: number, preferredBatchSize: number, maxQueueDelayMs: number, reason: () => string): ChosenBatchParams {
  return {
    maxBatchSize,
    preferredBatchSize,
    maxQueueDelayMs,
    get reason() {
      return reason();
    },
  };
}
