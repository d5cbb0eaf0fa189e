import { expectedRates } from './arrivals';
import { parseWorkload } from './parse-workload';
import { familyWorkload } from './workload-family';

/** Mean offered work of a parsed workload, device-seconds per second (batch-1 runs). */
function offeredWork(seed: number): { work: number; rates: number[] } {
  const w = parseWorkload(familyWorkload(seed), `family-${seed}`);
  const rates = expectedRates(w);
  return { work: rates.reduce((sum, r, i) => sum + (r * w.functions[i].profile.execMsByBatch['1']) / 1000, 0), rates };
}

describe('familyWorkload', () => {
  it('is the same for a seed and differs between seeds', () => {
    expect(familyWorkload(7)).toEqual(familyWorkload(7));
    expect(JSON.stringify(familyWorkload(7))).not.toBe(JSON.stringify(familyWorkload(8)));
  });

  it.each(Array.from({ length: 20 }, (_, i) => i + 1))(
    'seed %i parses, mixes cameras, audio and documents, and offers 30–60%% of the devices',
    (seed) => {
      const w = parseWorkload(familyWorkload(seed, { devices: 2 }), `family-${seed}`);
      expect(w.functions.length).toBeGreaterThanOrEqual(5);
      expect(w.functions.length).toBeLessThanOrEqual(10);
      const profiles = new Set(w.functions.map((f) => f.profileName));
      for (const p of ['cnn', 'vad', 'ocr_det']) expect(profiles.has(p)).toBe(true);
      const { work } = offeredWork(seed);
      // Microphone counts are whole and rare functions have a floor: a little off the drawn load.
      expect(work).toBeGreaterThan(0.25 * 2);
      expect(work).toBeLessThan(0.7 * 2);
    },
  );

  it('skews rates across functions as serverless traces do', () => {
    // Over 20 seeds, the busiest function of a member usually sends 20× more than its quietest.
    const spreads = Array.from({ length: 20 }, (_, i) => {
      const { rates } = offeredWork(i + 1);
      return Math.max(...rates) / Math.min(...rates);
    }).sort((a, b) => a - b);
    expect(spreads[10]).toBeGreaterThan(20);
  });
});
