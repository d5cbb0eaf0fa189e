import type { Categorization } from '@epara/contracts/records';
import { Footprint, Mode, Sensitivity } from '@epara/contracts/vocabulary';
import { batch1ExecMs } from '../util/exec-table';
import { fmtBytes, fmtMs, fmtNum } from '../util/format';
import {
  CategorizeDecision,
  CategorizeInput,
  FOOTPRINT_HYSTERESIS_MARGIN,
  FREQUENCY_LOAD_THRESHOLD,
  FREQUENCY_TO_LATENCY_LOAD,
  LATENCY_TO_FREQUENCY_LOAD,
  MIN_SENSITIVITY_DWELL_MS,
  MODEL_MEMORY_FACTOR,
} from './types';

/** The single-device mode of a sensitivity: latency → dp (replicas), frequency → batch. */
function singleDeviceMode(sensitivity: Sensitivity): Mode {
  return sensitivity === Sensitivity.Latency ? Mode.Dp : Mode.Batch;
}

/**
 * The mode each category gets; latency × multi needs a kind that can split, and pp needs a model that
 * was cut into stages. Without stages a multi-device function is served whole on single devices — late
 * answers beat none (a pp function without stages would have no unit to place at all).
 */
export function modeFor(sensitivity: Sensitivity, footprint: Footprint, kindCanSplit: boolean, hasStages = true): Mode {
  if (footprint === Footprint.Single) return singleDeviceMode(sensitivity);
  if (sensitivity === Sensitivity.Latency && kindCanSplit) return Mode.Sp;
  return hasStages ? Mode.Pp : singleDeviceMode(sensitivity);
}

/**
 * Categorizes a function by sensitivity (latency or frequency) × footprint (single or multi device)
 * and picks its parallel mode, after the EPARA paper's categorization. Pure: the same
 * input gives the same decision, and the reason carries every number it used.
 */
export function categorize(input: CategorizeInput): CategorizeDecision {
  const { slo, profile, hints, previous } = input;
  const exec1 = profile ? batch1ExecMs(profile.execMsByBatch) : undefined;
  const provisional = exec1 === undefined;

  // Sensitivity: the share of a device the function's rate keeps busy.
  const [rate, rateSource] =
    input.observedRps !== undefined
      ? [input.observedRps, 'observed']
      : input.expectedRps !== undefined
        ? [input.expectedRps, 'expected']
        : [0, 'none'];
  const load = exec1 === undefined ? 0 : (rate * exec1) / 1000;
  let measuredSensitivity: Sensitivity;
  let sensitivityWhy: string;
  if (exec1 === undefined) {
    measuredSensitivity = Sensitivity.Latency;
    sensitivityWhy = `load unknown (rate ${fmtNum(rate)} rps ${rateSource}, no batch-1 time)`;
  } else {
    const loadText = `load ${fmtNum(load)} (rate ${fmtNum(rate)} rps ${rateSource} × ${fmtMs(exec1)})`;
    if (previous?.sensitivity === Sensitivity.Latency) {
      measuredSensitivity = load >= LATENCY_TO_FREQUENCY_LOAD ? Sensitivity.Frequency : Sensitivity.Latency;
      const op = load >= LATENCY_TO_FREQUENCY_LOAD ? '≥' : '<';
      sensitivityWhy = `${loadText} ${op} ${LATENCY_TO_FREQUENCY_LOAD} (hysteresis, was latency)`;
    } else if (previous?.sensitivity === Sensitivity.Frequency) {
      measuredSensitivity = load <= FREQUENCY_TO_LATENCY_LOAD ? Sensitivity.Latency : Sensitivity.Frequency;
      const op = load <= FREQUENCY_TO_LATENCY_LOAD ? '≤' : '>';
      sensitivityWhy = `${loadText} ${op} ${FREQUENCY_TO_LATENCY_LOAD} (hysteresis, was frequency)`;
    } else {
      measuredSensitivity = load >= FREQUENCY_LOAD_THRESHOLD ? Sensitivity.Frequency : Sensitivity.Latency;
      const op = load >= FREQUENCY_LOAD_THRESHOLD ? '≥' : '<';
      sensitivityWhy = `${loadText} ${op} ${FREQUENCY_LOAD_THRESHOLD}`;
    }
    if (
      previous?.heldForMs !== undefined &&
      previous.heldForMs < MIN_SENSITIVITY_DWELL_MS &&
      measuredSensitivity !== previous.sensitivity
    ) {
      measuredSensitivity = previous.sensitivity;
      sensitivityWhy += `, held ${previous.sensitivity}: it was set ${fmtNum(previous.heldForMs / 1000)} s ago (< ${MIN_SENSITIVITY_DWELL_MS / 1000} s dwell)`;
    }
  }

  // Footprint: does one device hold it, and does one device run batch 1 within the SLO?
  const [memoryNeed, memorySource] =
    hints?.memoryBytes !== undefined
      ? [hints.memoryBytes, 'hint']
      : profile
        ? [profile.memoryBytes, 'profile']
        : [MODEL_MEMORY_FACTOR * input.modelSizeBytes, `estimate ${MODEL_MEMORY_FACTOR} × file ${fmtBytes(input.modelSizeBytes)}`];
  let largest = -1;
  let largestIsFree = false;
  for (const d of input.devices) {
    const isFree = d.memoryFreeBytes !== undefined;
    const cap = isFree ? d.memoryFreeBytes! : d.memoryBytes;
    if (cap > largest) {
      largest = cap;
      largestIsFree = isFree;
    }
  }
  // Leaving multi needs a margin (hysteresis); entering it does not.
  const keepMulti = previous?.footprint === Footprint.Multi ? 1 - FOOTPRINT_HYSTERESIS_MARGIN : 1;
  const memText = `memory ${fmtBytes(memoryNeed)} (${memorySource})`;
  const deviceText = `${fmtBytes(largest)} ${largestIsFree ? 'free' : 'total'}`;
  const footprintWhys: string[] = [];
  let memoryTooBig = false;
  if (largest < 0) {
    footprintWhys.push(`${memText}: no device known, assumed to fit`);
  } else {
    memoryTooBig = memoryNeed > largest * keepMulti;
    const marginText = keepMulti < 1 ? ` × ${fmtNum(keepMulti)} (hysteresis, was multi)` : '';
    footprintWhys.push(
      memoryTooBig
        ? `${memText} exceeds the largest device (${deviceText}${marginText})`
        : `${memText} fits the largest device (${deviceText}${marginText})`,
    );
  }
  let tooSlow = false;
  if (exec1 !== undefined) {
    tooSlow = exec1 > slo.latencyMs * keepMulti;
    const sloText = `SLO ${fmtMs(slo.latencyMs)}${keepMulti < 1 ? ` × ${fmtNum(keepMulti)}` : ''}`;
    footprintWhys.push(`batch-1 ${fmtMs(exec1)} ${tooSlow ? '>' : '≤'} ${sloText}`);
  }
  const measuredFootprint = memoryTooBig || tooSlow ? Footprint.Multi : Footprint.Single;

  // Hints pin; the reason keeps what was measured so an operator can see what the pin overrides.
  const sensitivity = hints?.sensitivity ?? measuredSensitivity;
  const footprint = hints?.footprint ?? measuredFootprint;
  const hasStages = input.hasStages ?? true;
  const derived = modeFor(sensitivity, footprint, input.kindCanSplit, hasStages);
  let mode = derived;
  const notes: string[] = [];
  if (hints?.sensitivity !== undefined) notes.push(`sensitivity pinned by hint (measured ${measuredSensitivity})`);
  if (hints?.footprint !== undefined) notes.push(`footprint pinned by hint (measured ${measuredFootprint})`);
  if (hints?.mode !== undefined) {
    if (hints.mode === Mode.Sp && !input.kindCanSplit) {
      mode = hasStages ? Mode.Pp : singleDeviceMode(sensitivity);
      notes.push(
        `hint mode sp cannot apply: this kind cannot split requests; ${hasStages ? 'pp' : `${mode} (the model has no pipeline stages)`} instead`,
      );
    } else if (hints.mode === Mode.Pp && !hasStages) {
      mode = singleDeviceMode(sensitivity);
      notes.push(`hint mode pp cannot apply: the model has no pipeline stages; ${mode} instead`);
    } else {
      mode = hints.mode;
      notes.push(`mode pinned by hint (category gives ${derived})`);
    }
  } else if (derived === Mode.Pp && sensitivity === Sensitivity.Latency) {
    notes.push('pp: this kind cannot split requests');
  } else if (footprint === Footprint.Multi && derived !== Mode.Sp && !hasStages) {
    notes.push(`${derived}: needs more than one device, but the model has no pipeline stages — served whole, answers may be late`);
  }
  if (provisional) notes.push('provisional: no profile yet');
  const pinned = hints?.mode !== undefined || hints?.sensitivity !== undefined || hints?.footprint !== undefined;

  const parts = [sensitivityWhy, ...footprintWhys, ...notes];
  return {
    sensitivity,
    footprint,
    mode,
    reason: `${sensitivity} × ${footprint} → ${mode}: ${parts.join('; ')}`,
    provisional,
    pinned,
    load,
  };
}

/** The record's categorization from a decision, stamped with when it was made. */
export function toCategorization(d: CategorizeDecision, decidedAtMs: number): Categorization {
  return {
    sensitivity: d.sensitivity,
    footprint: d.footprint,
    mode: d.mode,
    reason: d.reason,
    provisional: d.provisional,
    pinned: d.pinned,
    decidedAt: decidedAtMs,
  };
}
