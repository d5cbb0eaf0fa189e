import { AimdOptions } from './types';

/**
 * Additive-increase / multiplicative-decrease of the max batch size, after Clipper (Crankshaw et al.,
 * NSDI 2017, §4.3): grow by one while a run of `current` stays within `budgetMs`, back off by 10% when
 * it does not. For devices without a trustworthy profile; result ≥ 1.
 */
export function aimdMaxBatchSize(current: number, observedExecMs: number, budgetMs: number, options: AimdOptions = {}): number {
  const max = options.max ?? Infinity;
  const next = observedExecMs > budgetMs ? Math.floor(current * (options.backoff ?? 0.9)) : current + (options.increase ?? 1);
  return next < 1 ? 1 : next > max ? max : next;
}
