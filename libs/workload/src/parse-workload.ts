import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Footprint, MODES, Sensitivity } from '@epara/contracts/vocabulary';
import { NAME_PATTERN } from '@epara/contracts/subjects';
import { BUILTIN_PROFILES, BUILTIN_PROFILE_NAMES } from './profiles';
import { ArrivalSpec, DeviceGroup, FunctionHints, ModelProfile, Workload, WorkloadFunction, WorkloadStream } from './types';

/** A workload file that does not validate: every problem, each naming the path of the bad field. */
export class WorkloadError extends Error {
  constructor(
    readonly problems: string[],
    readonly source = 'workload',
  ) {
    super(`invalid ${source}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'WorkloadError';
  }
}

/** Defaults, documented in docs/simulator.md. */
export const WORKLOAD_DEFAULTS = Object.freeze({
  seed: 1,
  warmupS: 0,
  hopMs: 0.66,
  path: 'direct' as const,
  execNoiseCv: 0,
  computeScale: 1,
  idPrefix: 'dev',
});

type Obj = Record<string, unknown>;

/** Collects problems with their paths; each check returns the value or undefined (and records why). */
class Checker {
  readonly problems: string[] = [];

  fail(path: string, message: string): undefined {
    this.problems.push(`${path} ${message}`);
    return undefined;
  }

  object(path: string, v: unknown): Obj | undefined {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return this.fail(path, `must be an object (got ${describe(v)})`);
    return v as Obj;
  }

  array(path: string, v: unknown, nonEmpty = true): unknown[] | undefined {
    if (!Array.isArray(v)) return this.fail(path, `must be an array (got ${describe(v)})`);
    if (nonEmpty && v.length === 0) return this.fail(path, 'must not be empty');
    return v;
  }

  /** Reports fields not in `allowed` (typos would otherwise be silently ignored). */
  known(path: string, o: Obj, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k))
        this.fail(path === '(root)' ? k : `${path}.${k}`, `is not a known field (expected one of: ${allowed.join(', ')})`);
    }
  }

  number(path: string, v: unknown, rule: NumberRule): number | undefined {
    if (v === undefined) {
      if (rule.default !== undefined) return rule.default;
      if (rule.optional) return undefined;
      return this.fail(path, 'is required');
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.fail(path, `must be a finite number (got ${describe(v)})`);
    if (rule.int && !Number.isInteger(v)) return this.fail(path, `must be an integer (got ${v})`);
    if (rule.gt !== undefined && !(v > rule.gt)) return this.fail(path, `must be > ${rule.gt} (got ${v})`);
    if (rule.min !== undefined && !(v >= rule.min)) return this.fail(path, `must be ≥ ${rule.min} (got ${v})`);
    if (rule.max !== undefined && !(v <= rule.max)) return this.fail(path, `must be ≤ ${rule.max} (got ${v})`);
    return v;
  }

  string(path: string, v: unknown, optional = false): string | undefined {
    if (v === undefined && optional) return undefined;
    if (typeof v !== 'string' || v.length === 0) return this.fail(path, `must be a non-empty string (got ${describe(v)})`);
    return v;
  }

  boolean(path: string, v: unknown, def: boolean): boolean {
    if (v === undefined) return def;
    if (typeof v !== 'boolean') return this.fail(path, `must be true or false (got ${describe(v)})`) ?? def;
    return v;
  }

  oneOf<T extends string>(path: string, v: unknown, allowed: readonly T[], def?: T): T | undefined {
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== 'string' || !allowed.includes(v as T))
      return this.fail(path, `must be one of ${allowed.join(', ')} (got ${describe(v)})`);
    return v as T;
  }

  /** Bytes: a number, or a string with a unit ("64MiB", "4 GB", "1.5GiB"). */
  bytes(path: string, v: unknown, optional = false): number | undefined {
    if (v === undefined && optional) return undefined;
    if (typeof v === 'string') {
      const parsed = parseBytes(v);
      if (parsed === undefined) return this.fail(path, `must be bytes: a number or a size like "64MiB" or "4GB" (got ${describe(v)})`);
      v = parsed;
    }
    return this.number(path, v, { gt: 0 });
  }
}

interface NumberRule {
  optional?: boolean;
  default?: number;
  int?: boolean;
  gt?: number;
  min?: number;
  max?: number;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  return String(v);
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** "64MiB" → 67108864; undefined when it does not parse. */
export function parseBytes(s: string): number | undefined {
  const m = /^\s*([0-9]*\.?[0-9]+(?:e[+-]?\d+)?)\s*([a-z]*)\s*$/i.exec(s);
  if (!m) return undefined;
  const unit = m[2].toLowerCase() || 'b';
  const mult = UNITS[unit];
  return mult === undefined ? undefined : Math.round(Number(m[1]) * mult);
}

const TOP_FIELDS = [
  'name',
  'description',
  'seed',
  'durationS',
  'warmupS',
  'devices',
  'network',
  'noise',
  'profiles',
  'functions',
  'streams',
];
const FUNCTION_FIELDS = ['name', 'profile', 'sloMs', 'expectedRps', 'hints', 'batchable', 'kindCanSplit', 'modelSizeBytes', 'description'];
const PROFILE_FIELDS = ['execMsByBatch', 'memoryBytes', 'loadMs', 'source'];
const HINT_FIELDS = ['mode', 'sensitivity', 'footprint', 'maxBatchSize', 'maxQueueDelayMs', 'memoryBytes', 'replicas'];
const STREAM_FIELDS = ['function', 'count', 'arrival', 'startS', 'endS'];
const DEVICE_FIELDS = ['count', 'memoryBytes', 'computeScale', 'idPrefix'];
const ARRIVAL_FIELDS: Record<ArrivalSpec['kind'], string[]> = {
  poisson: ['kind', 'rate'],
  gamma: ['kind', 'rate', 'cv'],
  periodic: ['kind', 'periodMs', 'phaseMs'],
  onoff: ['kind', 'onMeanS', 'offMeanS', 'periodMs', 'rate'],
  step: ['kind', 'base', 'factor', 'atS', 'untilS', 'cv'],
  piecewise: ['kind', 'rate', 'segmentS', 'multipliers', 'cv'],
};
const ARRIVAL_KINDS = Object.keys(ARRIVAL_FIELDS) as ArrivalSpec['kind'][];

/**
 * Validates a parsed workload file and resolves it: defaults applied, profiles resolved (built-in by
 * name, the file's own `profiles`, or inline), streams linked to their functions. Throws a
 * WorkloadError listing every problem, each with the path of its field.
 */
export function parseWorkload(raw: unknown, source = 'workload', defaultName = 'workload'): Workload {
  const c = new Checker();
  const top = c.object('(root)', raw);
  if (!top) throw new WorkloadError(c.problems, source);
  c.known('(root)', top, TOP_FIELDS);

  const name = c.string('name', top.name, true) ?? defaultName;
  const description = c.string('description', top.description, true);
  const seed = c.number('seed', top.seed, { default: WORKLOAD_DEFAULTS.seed, int: true, min: 0 }) ?? 1;
  const durationS = c.number('durationS', top.durationS, { gt: 0 }) ?? 1;
  const warmupS = c.number('warmupS', top.warmupS, { default: WORKLOAD_DEFAULTS.warmupS, min: 0 }) ?? 0;
  const endS = warmupS + durationS;

  // Devices: one group or a list of groups.
  const devices: DeviceGroup[] = [];
  if (top.devices === undefined) c.fail('devices', 'is required');
  else {
    const groups = Array.isArray(top.devices) ? top.devices : [top.devices];
    const multi = Array.isArray(top.devices);
    if (groups.length === 0) c.fail('devices', 'must not be empty');
    groups.forEach((g, i) => {
      const path = multi ? `devices[${i}]` : 'devices';
      const o = c.object(path, g);
      if (!o) return;
      c.known(path, o, DEVICE_FIELDS);
      const count = c.number(`${path}.count`, o.count, { int: true, min: 1 });
      const memoryBytes = c.bytes(`${path}.memoryBytes`, o.memoryBytes);
      const computeScale = c.number(`${path}.computeScale`, o.computeScale, { default: WORKLOAD_DEFAULTS.computeScale, gt: 0 });
      const idPrefix =
        c.string(`${path}.idPrefix`, o.idPrefix, true) ?? (multi ? `${WORKLOAD_DEFAULTS.idPrefix}${i}` : WORKLOAD_DEFAULTS.idPrefix);
      if (!NAME_PATTERN.test(`${idPrefix}-0`))
        c.fail(`${path}.idPrefix`, `must make device ids of a-z, 0-9, '-' and '_' (got ${describe(idPrefix)})`);
      if (count !== undefined && memoryBytes !== undefined && computeScale !== undefined)
        devices.push({ count, memoryBytes, computeScale, idPrefix });
    });
    const prefixes = devices.map((d) => d.idPrefix);
    if (new Set(prefixes).size !== prefixes.length) c.fail('devices', 'groups must have distinct idPrefix values');
  }

  let hopMs: number = WORKLOAD_DEFAULTS.hopMs;
  let path: 'direct' | 'relay' = WORKLOAD_DEFAULTS.path;
  if (top.network !== undefined) {
    const o = c.object('network', top.network);
    if (o) {
      c.known('network', o, ['hopMs', 'path']);
      hopMs = c.number('network.hopMs', o.hopMs, { default: WORKLOAD_DEFAULTS.hopMs, min: 0 }) ?? hopMs;
      path = c.oneOf('network.path', o.path, ['direct', 'relay'] as const, WORKLOAD_DEFAULTS.path) ?? path;
    }
  }
  let execNoiseCv: number = WORKLOAD_DEFAULTS.execNoiseCv;
  if (top.noise !== undefined) {
    const o = c.object('noise', top.noise);
    if (o) {
      c.known('noise', o, ['execCv']);
      execNoiseCv = c.number('noise.execCv', o.execCv, { default: 0, min: 0, max: 2 }) ?? 0;
    }
  }

  // The file's own named profiles.
  const ownProfiles = new Map<string, ModelProfile>();
  if (top.profiles !== undefined) {
    const o = c.object('profiles', top.profiles);
    if (o) {
      for (const [k, v] of Object.entries(o)) {
        const p = parseProfile(c, `profiles.${k}`, v);
        if (p) ownProfiles.set(k, p);
      }
    }
  }

  const functions: WorkloadFunction[] = [];
  const fnIndex = new Map<string, number>();
  /** Every name declared, valid or not: a stream naming an invalid function is not a second problem. */
  const declared = new Set<string>();
  const fnList = c.array('functions', top.functions);
  fnList?.forEach((f, i) => {
    const p = `functions[${i}]`;
    const o = c.object(p, f);
    if (!o) return;
    c.known(p, o, FUNCTION_FIELDS);
    const fname = c.string(`${p}.name`, o.name);
    if (fname !== undefined) declared.add(fname);
    if (fname !== undefined) {
      if (!NAME_PATTERN.test(fname))
        c.fail(`${p}.name`, `must be 1-63 characters of a-z, 0-9, '-' and '_', starting with a letter or digit (got ${describe(fname)})`);
      else if (fnIndex.has(fname)) c.fail(`${p}.name`, `duplicates functions[${fnIndex.get(fname)}].name ${describe(fname)}`);
    }
    let profileName = 'inline';
    let profile: ModelProfile | undefined;
    if (typeof o.profile === 'string') {
      profileName = o.profile;
      profile = ownProfiles.get(o.profile) ?? BUILTIN_PROFILES[o.profile];
      if (!profile) {
        const known = [...ownProfiles.keys(), ...BUILTIN_PROFILE_NAMES];
        c.fail(
          `${p}.profile`,
          `names no profile: ${describe(o.profile)} is neither built in nor in "profiles" (known: ${known.join(', ')})`,
        );
      }
    } else if (o.profile === undefined) {
      c.fail(`${p}.profile`, `is required: a profile name (${BUILTIN_PROFILE_NAMES.join(', ')}) or { execMsByBatch, memoryBytes, loadMs }`);
    } else {
      profile = parseProfile(c, `${p}.profile`, o.profile);
    }
    const sloMs = c.number(`${p}.sloMs`, o.sloMs, { gt: 0 });
    const expectedRps = c.number(`${p}.expectedRps`, o.expectedRps, { optional: true, min: 0 });
    const hints = o.hints === undefined ? undefined : parseHints(c, `${p}.hints`, o.hints);
    const batchable = c.boolean(`${p}.batchable`, o.batchable, true);
    const kindCanSplit = c.boolean(`${p}.kindCanSplit`, o.kindCanSplit, false);
    const modelSizeBytes = c.bytes(`${p}.modelSizeBytes`, o.modelSizeBytes, true);
    if (fname === undefined || !profile || sloMs === undefined || fnIndex.has(fname)) return;
    fnIndex.set(fname, functions.length);
    functions.push({
      name: fname,
      profileName,
      profile,
      sloMs,
      ...(expectedRps !== undefined ? { expectedRps } : {}),
      ...(hints ? { hints } : {}),
      batchable,
      kindCanSplit,
      modelSizeBytes: modelSizeBytes ?? Math.round(profile.memoryBytes / 2),
    });
  });

  const streams: WorkloadStream[] = [];
  const streamList = c.array('streams', top.streams);
  streamList?.forEach((s, i) => {
    const p = `streams[${i}]`;
    const o = c.object(p, s);
    if (!o) return;
    c.known(p, o, STREAM_FIELDS);
    const fn = c.string(`${p}.function`, o.function);
    let index: number | undefined;
    if (fn !== undefined) {
      index = fnIndex.get(fn);
      if (index === undefined && fnList && !declared.has(fn))
        c.fail(`${p}.function`, `names no function: ${describe(fn)} (functions: ${[...fnIndex.keys()].join(', ') || 'none valid'})`);
    }
    const count = c.number(`${p}.count`, o.count, { default: 1, int: true, min: 1 });
    const startS = c.number(`${p}.startS`, o.startS, { default: 0, min: 0 });
    const sEnd = c.number(`${p}.endS`, o.endS, { default: endS, gt: startS ?? 0 });
    const arrival = parseArrival(c, `${p}.arrival`, o.arrival);
    if (index === undefined || count === undefined || startS === undefined || sEnd === undefined || !arrival || fn === undefined) return;
    streams.push({ function: fn, fnIndex: index, count, arrival, startS, endS: sEnd });
  });

  if (c.problems.length) throw new WorkloadError(c.problems, source);
  return {
    name,
    ...(description ? { description } : {}),
    seed,
    durationS,
    warmupS,
    devices,
    network: { hopMs, path },
    execNoiseCv,
    functions,
    streams,
  };
}

function parseProfile(c: Checker, path: string, v: unknown): ModelProfile | undefined {
  const o = c.object(path, v);
  if (!o) return undefined;
  c.known(path, o, PROFILE_FIELDS);
  const table = c.object(`${path}.execMsByBatch`, o.execMsByBatch);
  const execMsByBatch: Record<string, number> = {};
  if (table) {
    const keys = Object.keys(table);
    if (keys.length === 0) c.fail(`${path}.execMsByBatch`, 'must have at least one batch size, e.g. { "1": 2.5 }');
    for (const k of keys) {
      const size = Number(k);
      if (!Number.isInteger(size) || size < 1) {
        c.fail(`${path}.execMsByBatch`, `keys must be batch sizes (integers ≥ 1); got ${describe(k)}`);
        continue;
      }
      const ms = c.number(`${path}.execMsByBatch.${k}`, table[k], { gt: 0 });
      if (ms !== undefined) execMsByBatch[String(size)] = ms;
    }
  }
  const memoryBytes = c.bytes(`${path}.memoryBytes`, o.memoryBytes);
  const loadMs = c.number(`${path}.loadMs`, o.loadMs, { min: 0 });
  const source = c.string(`${path}.source`, o.source, true);
  if (!table || memoryBytes === undefined || loadMs === undefined) return undefined;
  return { execMsByBatch, memoryBytes, loadMs, ...(source ? { source } : {}) };
}

function parseHints(c: Checker, path: string, v: unknown): FunctionHints | undefined {
  const o = c.object(path, v);
  if (!o) return undefined;
  c.known(path, o, HINT_FIELDS);
  const h: FunctionHints = {};
  if (o.mode !== undefined) h.mode = c.oneOf(`${path}.mode`, o.mode, MODES);
  if (o.sensitivity !== undefined) h.sensitivity = c.oneOf(`${path}.sensitivity`, o.sensitivity, Object.values(Sensitivity));
  if (o.footprint !== undefined) h.footprint = c.oneOf(`${path}.footprint`, o.footprint, Object.values(Footprint));
  if (o.maxBatchSize !== undefined) h.maxBatchSize = c.number(`${path}.maxBatchSize`, o.maxBatchSize, { int: true, min: 1 });
  if (o.maxQueueDelayMs !== undefined) h.maxQueueDelayMs = c.number(`${path}.maxQueueDelayMs`, o.maxQueueDelayMs, { min: 0 });
  if (o.memoryBytes !== undefined) h.memoryBytes = c.bytes(`${path}.memoryBytes`, o.memoryBytes);
  if (o.replicas !== undefined) h.replicas = c.number(`${path}.replicas`, o.replicas, { int: true, min: 1 });
  for (const k of Object.keys(h) as (keyof FunctionHints)[]) if (h[k] === undefined) delete h[k];
  return h;
}

function parseArrival(c: Checker, path: string, v: unknown): ArrivalSpec | undefined {
  const o = c.object(path, v);
  if (!o) return undefined;
  const kind = c.oneOf(`${path}.kind`, o.kind, ARRIVAL_KINDS);
  if (!kind) return undefined;
  c.known(path, o, ARRIVAL_FIELDS[kind]);
  const n = (field: string, rule: NumberRule) => c.number(`${path}.${field}`, o[field], rule);
  switch (kind) {
    case 'poisson': {
      const rate = n('rate', { gt: 0 });
      return rate === undefined ? undefined : { kind, rate };
    }
    case 'gamma': {
      const rate = n('rate', { gt: 0 });
      const cv = n('cv', { gt: 0 });
      return rate === undefined || cv === undefined ? undefined : { kind, rate, cv };
    }
    case 'periodic': {
      const periodMs = n('periodMs', { gt: 0 });
      let phaseMs: number | 'random' | undefined = 'random';
      if (o.phaseMs !== undefined && o.phaseMs !== 'random') phaseMs = n('phaseMs', { min: 0 });
      return periodMs === undefined || phaseMs === undefined ? undefined : { kind, periodMs, phaseMs };
    }
    case 'onoff': {
      const onMeanS = n('onMeanS', { gt: 0 });
      const offMeanS = n('offMeanS', { gt: 0 });
      const periodMs = n('periodMs', { optional: true, gt: 0 });
      const rate = n('rate', { optional: true, gt: 0 });
      if ((o.periodMs === undefined) === (o.rate === undefined)) {
        return c.fail(path, 'needs exactly one of periodMs (a frame every periodMs while on) or rate (Poisson while on)');
      }
      if (onMeanS === undefined || offMeanS === undefined || (periodMs === undefined && rate === undefined)) return undefined;
      return { kind, onMeanS, offMeanS, ...(periodMs !== undefined ? { periodMs } : { rate }) };
    }
    case 'step': {
      const base = n('base', { gt: 0 });
      const factor = n('factor', { min: 0 });
      const atS = n('atS', { min: 0 });
      const untilS = n('untilS', { optional: true, gt: atS ?? 0 });
      const cv = n('cv', { optional: true, gt: 0 });
      if (base === undefined || factor === undefined || atS === undefined) return undefined;
      return { kind, base, factor, atS, ...(untilS !== undefined ? { untilS } : {}), ...(cv !== undefined ? { cv } : {}) };
    }
    case 'piecewise': {
      const rate = n('rate', { gt: 0 });
      const segmentS = n('segmentS', { gt: 0 });
      const cv = n('cv', { optional: true, gt: 0 });
      const list = o.multipliers;
      if (!Array.isArray(list) || list.length === 0 || !list.every((m) => typeof m === 'number' && Number.isFinite(m) && m >= 0)) {
        return c.fail(`${path}.multipliers`, 'needs a non-empty array of numbers ≥ 0 (the rate multiple of each segment)');
      }
      if (!list.some((m) => m > 0)) return c.fail(`${path}.multipliers`, 'needs at least one multiplier above 0');
      if (rate === undefined || segmentS === undefined) return undefined;
      return { kind, rate, segmentS, multipliers: list as number[], ...(cv !== undefined ? { cv } : {}) };
    }
  }
}

/** Reads and parses a workload file (JSON). The name defaults to the file's base name. */
export function loadWorkload(file: string): Workload {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new WorkloadError([`cannot read the file: ${(e as Error).message}`], file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new WorkloadError([`is not valid JSON: ${(e as Error).message}`], file);
  }
  return parseWorkload(raw, file, basename(file, extname(file)));
}

/** The device set, one entry per device, ids `<prefix>-<n>` (n from 0). `countOverride` replaces the total count (the `--devices N` flag: spread over the groups in proportion). */
export function expandDevices(
  groups: readonly DeviceGroup[],
  countOverride?: number,
): { id: string; memoryBytes: number; computeScale: number }[] {
  let counts = groups.map((g) => g.count);
  if (countOverride !== undefined) {
    const total = counts.reduce((a, b) => a + b, 0);
    counts = groups.map((g) => Math.floor((g.count * countOverride) / total));
    let left = countOverride - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; left > 0; i = (i + 1) % counts.length, left--) counts[i]++;
  }
  const out: { id: string; memoryBytes: number; computeScale: number }[] = [];
  groups.forEach((g, i) => {
    for (let n = 0; n < counts[i]; n++) out.push({ id: `${g.idPrefix}-${n}`, memoryBytes: g.memoryBytes, computeScale: g.computeScale });
  });
  return out;
}
