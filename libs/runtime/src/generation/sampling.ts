/**
 * Logits more than this many temperatures below the max are skipped: each would weigh under e^-30
 * (≈ 1e-13) of the top token, under 1e-8 of the mass for a 50k vocabulary. Saves most of the 50k
 * `Math.exp` calls per token at usual temperatures (≤ 1).
 */
const NEGLIGIBLE_LOGIT_GAP = 30;

/**
 * Next-token choice from logits. Temperature 0 (or below, or NaN) is greedy: the first index of the
 * largest logit, so ties resolve the same way in every run. Above 0: a draw from softmax(logits / T)
 * with `random()` ∈ [0, 1) (inject a seeded one for reproducible runs).
 */
export function sampleToken(logits: Float32Array, temperature: number, random: () => number): number {
  let best = 0;
  let max = logits[0];
  for (let i = 1, n = logits.length; i < n; i++) {
    const v = logits[i];
    if (v > max) {
      max = v;
      best = i;
    }
  }
  if (!(temperature > 0)) return best;
  const floor = max - NEGLIGIBLE_LOGIT_GAP * temperature;
  const ids: number[] = [];
  const weights: number[] = [];
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i] < floor) continue;
    const w = Math.exp((logits[i] - max) / temperature);
    ids.push(i);
    weights.push(w);
    sum += w;
  }
  let r = random() * sum;
  for (let k = 0; k < weights.length; k++) {
    r -= weights[k];
    if (r < 0) return ids[k];
  }
  return best; // r ≈ sum from float rounding
}
