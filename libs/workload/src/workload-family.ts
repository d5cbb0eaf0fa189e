import { BUILTIN_PROFILES } from './profiles';
import { deriveSeed, Rng } from './rng';

/** How a family member is sized. */
export interface FamilyOptions {
  /** Devices (single-thread CPU cores at computeScale 1). Default 2. */
  devices?: number;
  /** Measured window, s. Default 180. */
  durationS?: number;
  /** Warm-up, s. Default 30. */
  warmupS?: number;
}

/** An edge job: the model it runs, the SLOs such jobs ask for, and how its requests arrive. */
interface Archetype {
  name: string;
  profile: keyof typeof BUILTIN_PROFILES;
  slosMs: number[];
  /** `stream`: microphones sending a frame every 32 ms while someone speaks (on/off); `calls`: independent requests. */
  arrivals: 'stream' | 'calls';
  /** `timer`: sensors reporting on a clock, smoother than Poisson; `event`: triggered, bursty. */
  trigger?: 'timer' | 'event';
}

/**
 * Edge SLO mixes over the models the project serves: cameras (a CNN per frame, tens of ms), audio
 * (voice activity per 32 ms frame, wake-word embeddings), documents (text detection, recognition and
 * orientation, 100–300 ms) and sensors (a small MLP, a few ms).
 */
const ARCHETYPES: readonly Archetype[] = [
  { name: 'camera', profile: 'cnn', slosMs: [15, 25, 40, 50], arrivals: 'calls', trigger: 'event' },
  { name: 'mic', profile: 'vad', slosMs: [32, 64], arrivals: 'stream' },
  { name: 'wake', profile: 'oww_embedding', slosMs: [50, 100], arrivals: 'calls', trigger: 'event' },
  { name: 'sensor', profile: 'mlp', slosMs: [5, 10], arrivals: 'calls', trigger: 'timer' },
  { name: 'doc-det', profile: 'ocr_det', slosMs: [100, 150, 200, 300], arrivals: 'calls', trigger: 'event' },
  { name: 'doc-rec', profile: 'ocr_rec', slosMs: [80, 120, 150], arrivals: 'calls', trigger: 'event' },
  { name: 'doc-cls', profile: 'ocr_cls', slosMs: [20, 50], arrivals: 'calls', trigger: 'event' },
];

/** Segments of the compressed day: one cycle over the whole run. */
const DAY_SEGMENTS = 12;
/** ln-space spread of per-function rates (see `familyWorkload`). */
const RATE_SIGMA = 2;
/** No function slower than this, requests/s: it still sends a handful of requests in a short run. */
const MIN_RATE = 0.05;

/**
 * One member of a seeded family of edge workloads, in the workload file's form (`parseWorkload`
 * reads it), drawn from the shapes published characterisations of serverless traffic report rather
 * than from any workload the policies were developed on:
 *
 * - **Rate skew.** In the Azure Functions traces (Shahrad et al., "Serverless in the Wild", ATC 2020;
 *   the 2021 release) per-function rates span many orders of magnitude and a small share of the
 *   functions carries almost all invocations. Each function's share of the offered work is drawn
 *   log-normally (σ = 2 in ln space), so one or two functions dominate and several are rare.
 * - **Burstiness.** The same characterisation finds timer-triggered functions with nearly regular
 *   arrivals and event-triggered ones burstier than Poisson. Sensors get Gamma gaps with CV 0.2–0.6,
 *   everything else CV 1–4 (log-uniform). Microphones are on/off sources: ON periods of 2–6 s, OFF
 *   periods of 4–12 s, a frame every 32 ms while ON.
 * - **Diurnal shape.** Traffic follows the day (peak to trough about 1.5–4×). One day is compressed
 *   into the run: 12 segments, rate × (1 + A sin(phase)), A 0.2–0.6, phases close together (one site,
 *   one time zone).
 * - **Load.** The mean offered work is 30–60% of the devices, so that a rate sweep around scale 1
 *   finds each policy's capacity.
 *
 * Between 5 and 10 functions, each an archetype above with an SLO from its list. The same seed always
 * gives the same workload.
 */
export function familyWorkload(seed: number, o: FamilyOptions = {}): Record<string, unknown> {
  const devices = o.devices ?? 2;
  const durationS = o.durationS ?? 180;
  const warmupS = o.warmupS ?? 30;
  const rng = new Rng(deriveSeed(seed, 'workload-family'));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)];
  const uniform = (lo: number, hi: number) => lo + rng.next() * (hi - lo);
  const count = 5 + Math.floor(rng.next() * 6);
  const load = uniform(0.3, 0.6) * devices;
  const amplitude = uniform(0.2, 0.6);
  const dayPhase = rng.next() * 2 * Math.PI;
  const segmentS = (warmupS + durationS) / DAY_SEGMENTS;

  const drawn = Array.from({ length: count }, (_, i) => {
    // The first three cover camera, audio and documents, so every member mixes the edge jobs.
    const a = i < 3 ? ARCHETYPES[[0, 1, 4][i]] : pick(ARCHETYPES);
    const exec1Ms = BUILTIN_PROFILES[a.profile].execMsByBatch['1'];
    return { a, name: `${a.name}-${i + 1}`, sloMs: pick(a.slosMs), exec1Ms, share: Math.exp(RATE_SIGMA * rng.normal()) };
  });
  const shares = drawn.reduce((sum, d) => sum + d.share, 0);

  const functions: Record<string, unknown>[] = [];
  const streams: Record<string, unknown>[] = [];
  for (const d of drawn) {
    const work = (load * d.share) / shares; // device-seconds per second this function offers
    functions.push({ name: d.name, profile: d.a.profile, sloMs: d.sloMs });
    if (d.a.arrivals === 'stream') {
      const onMeanS = uniform(2, 6);
      const offMeanS = uniform(4, 12);
      // One microphone sends a frame every 32 ms for onMeanS of every onMeanS + offMeanS seconds.
      const perMic = (1000 / 32) * (onMeanS / (onMeanS + offMeanS)) * (d.exec1Ms / 1000);
      const mics = Math.max(1, Math.min(200, Math.round(work / perMic)));
      streams.push({
        function: d.name,
        count: mics,
        arrival: { kind: 'onoff', onMeanS: round(onMeanS), offMeanS: round(offMeanS), periodMs: 32 },
      });
      continue;
    }
    const rate = Math.max(MIN_RATE, work / (d.exec1Ms / 1000));
    const cv = d.a.trigger === 'timer' ? uniform(0.2, 0.6) : Math.exp(uniform(0, Math.log(4)));
    const phase = dayPhase + 0.3 * rng.normal();
    const multipliers = Array.from({ length: DAY_SEGMENTS }, (_, k) =>
      round(1 + amplitude * Math.sin((2 * Math.PI * (k + 0.5)) / DAY_SEGMENTS + phase)),
    );
    streams.push({
      function: d.name,
      arrival: { kind: 'piecewise', rate: round(rate), segmentS: round(segmentS), multipliers, cv: round(cv) },
    });
  }
  return {
    name: `family-${seed}`,
    description: `Seed ${seed} of the edge workload family: ${count} functions, mean offered work ${((100 * load) / devices).toFixed(0)}% of ${devices} devices, diurnal amplitude ${round(amplitude)}`,
    seed,
    warmupS,
    durationS,
    devices: { count: devices, memoryBytes: '2GiB', computeScale: 1 },
    network: { hopMs: 0.66, path: 'direct' },
    functions,
    streams,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
