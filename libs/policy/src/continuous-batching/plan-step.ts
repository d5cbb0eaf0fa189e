import { fmtMs } from '../util/format';
import {
  BatchingLevel,
  ContinuousBatchParams,
  ContinuousBatchState,
  RunningSequence,
  StepDecode,
  StepHold,
  StepJoin,
  StepLeave,
  StepPlan,
  WaitingRequest,
} from './types';

/**
 * Plans one iteration of continuous batching (Orca, OSDI '22 §3.1): who leaves, who joins (prefill),
 * who decodes. Pure: reads only its arguments, never mutates them.
 *
 * 1. Leaves. Running: cancelled, stopped, maxTokens reached, or `deadlineMs` passed (in that order
 *    of precedence). Waiting: cancelled; too long for the model or the step budget (400); TTFT
 *    deadline passed (504): a request that can no longer get its first token in time never starts.
 * 2. Everyone left competes for the step, earliest deadline first: a running sequence's deadline is
 *    its next token's due time (lastTokenMs + tpotSloMs), a waiting request's is its TTFT deadline.
 *    Ties: running first (it already holds a cache), then arrival, then id.
 *    - A running sequence costs 1 token; if the budget is spent it is held (keeps its cache) and,
 *      its deadline unchanged while others advance, comes first in a later step.
 *    - A waiting request costs its prompt and a running slot. The first one that does not fit holds
 *      every later waiting request too: no small prompt overtakes it, so a long prompt cannot starve.
 *    - `level: 'request'` admits only into an empty batch (the request-level baseline).
 *
 * O((R + W) log(R + W)).
 */
export function planStep(state: ContinuousBatchState, params: ContinuousBatchParams, nowMs: number): StepPlan {
  const maxBatchTokens = Math.max(1, params.maxBatchTokens);
  const maxRunning = Math.max(1, params.maxRunning);
  const maxSequenceTokens = params.maxSequenceTokens ?? Infinity;
  const leave: StepLeave[] = [];
  const candidates: Candidate[] = [];

  for (const seq of state.running) {
    const gone = runningLeave(seq, nowMs);
    if (gone) leave.push(gone);
    else candidates.push({ kind: 'running', seq, deadlineMs: seq.lastTokenMs + seq.tpotSloMs, cost: 1 });
  }
  for (const req of state.waiting) {
    const gone = waitingLeave(req, maxBatchTokens, maxSequenceTokens, nowMs);
    if (gone) leave.push(gone);
    else candidates.push({ kind: 'waiting', req, deadlineMs: req.ttftDeadlineMs, cost: Math.max(1, req.promptTokens) });
  }
  candidates.sort(byDeadline);

  const staying = candidates.reduce((n, c) => n + (c.kind === 'running' ? 1 : 0), 0);
  const requestLevel = (params.level ?? BatchingLevel.Iteration) === BatchingLevel.Request;
  let slots = requestLevel && staying > 0 ? 0 : maxRunning - staying;
  let budget = maxBatchTokens;
  let blockedBy: string | undefined;
  const join: StepJoin[] = [];
  const decode: StepDecode[] = [];
  const hold: StepHold[] = [];

  for (const c of candidates) {
    if (c.kind === 'running') {
      if (budget >= 1) {
        decode.push({ id: c.seq.id, deadlineMs: c.deadlineMs });
        budget -= 1;
      } else hold.push({ id: c.seq.id, from: 'running', reason: `step token budget ${maxBatchTokens} spent` });
      continue;
    }
    const id = c.req.id;
    if (blockedBy !== undefined) hold.push({ id, from: 'waiting', reason: `behind ${blockedBy}, which comes first and cannot start` });
    else if (slots <= 0) {
      hold.push({
        id,
        from: 'waiting',
        reason: requestLevel && staying > 0 ? `request-level: batch of ${staying} still running` : `max running ${maxRunning} reached`,
      });
      blockedBy = id;
    } else if (c.cost > budget) {
      hold.push({ id, from: 'waiting', reason: `prompt of ${c.cost} tokens > ${budget} left of the step budget ${maxBatchTokens}` });
      blockedBy = id;
    } else {
      join.push({ id, promptTokens: c.cost, deadlineMs: c.deadlineMs });
      budget -= c.cost;
      slots -= 1;
    }
  }
  const batchTokens = maxBatchTokens - budget;
  return { leave, join, decode, hold, batchTokens, idle: join.length === 0 && decode.length === 0 };
}

type Candidate =
  | { kind: 'running'; seq: RunningSequence; deadlineMs: number; cost: number }
  | { kind: 'waiting'; req: WaitingRequest; deadlineMs: number; cost: number };

function byDeadline(a: Candidate, b: Candidate): number {
  if (a.deadlineMs !== b.deadlineMs) return a.deadlineMs < b.deadlineMs ? -1 : 1;
  if (a.kind !== b.kind) return a.kind === 'running' ? -1 : 1;
  const [arrA, arrB] = [arrivalOf(a), arrivalOf(b)];
  if (arrA !== arrB) return arrA - arrB;
  const [idA, idB] = [idOf(a), idOf(b)];
  return idA < idB ? -1 : idA > idB ? 1 : 0;
}

const arrivalOf = (c: Candidate) => (c.kind === 'running' ? c.seq.arrivalMs : c.req.arrivalMs);
const idOf = (c: Candidate) => (c.kind === 'running' ? c.seq.id : c.req.id);

/** Why a running sequence leaves before this step, or undefined when it stays. */
export function runningLeave(seq: RunningSequence, nowMs: number): StepLeave | undefined {
  const base = { id: seq.id, from: 'running' as const };
  if (seq.cancelled) return { ...base, reason: 'cancelled', detail: `cancelled after ${seq.generatedTokens} tokens` };
  if (seq.stopped) return { ...base, reason: 'stop', detail: `stop sequence after ${seq.generatedTokens} tokens` };
  if (seq.generatedTokens >= seq.maxTokens) return { ...base, reason: 'length', detail: `max tokens ${seq.maxTokens} reached` };
  if (seq.deadlineMs !== undefined && isDeadlinePassed(seq.deadlineMs, nowMs)) {
    return {
      ...base,
      reason: 'deadline',
      detail: `deadline passed ${fmtMs(nowMs - seq.deadlineMs)} ago after ${seq.generatedTokens} tokens`,
    };
  }
  return undefined;
}

/** Why a waiting request leaves without starting, or undefined when it may still start. */
export function waitingLeave(req: WaitingRequest, maxBatchTokens: number, maxSequenceTokens: number, nowMs: number): StepLeave | undefined {
  const base = { id: req.id, from: 'waiting' as const };
  if (req.cancelled) return { ...base, reason: 'cancelled', detail: 'cancelled before it started' };
  if (req.promptTokens + req.maxTokens > maxSequenceTokens) {
    return {
      ...base,
      reason: 'too-long',
      code: 400,
      detail: `prompt ${req.promptTokens} + max tokens ${req.maxTokens} > the model's ${maxSequenceTokens} positions`,
    };
  }
  if (req.promptTokens > maxBatchTokens) {
    return { ...base, reason: 'too-long', code: 400, detail: `prompt ${req.promptTokens} tokens > max batch tokens ${maxBatchTokens}` };
  }
  if (isDeadlinePassed(req.ttftDeadlineMs, nowMs)) {
    return {
      ...base,
      reason: 'deadline',
      code: 504,
      detail: `TTFT deadline passed ${fmtMs(nowMs - req.ttftDeadlineMs)} ago, before it could start`,
    };
  }
  return undefined;
}

/** Deadlines fire at equality, like `isExpired` in batching. */
export function isDeadlinePassed(deadlineMs: number, nowMs: number): boolean {
  return deadlineMs <= nowMs;
}
