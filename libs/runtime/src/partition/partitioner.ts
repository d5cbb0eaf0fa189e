import { onnx } from 'onnx-proto';
import { EparaError } from '@epara/contracts/errors';
import { estimateNodeCost } from './cost';
import { analyzeModel, ComputeNode, GraphAnalysis } from './graph-analysis';
import { DataType, declaredTensorBytes } from './tensor-types';
import type { NodeCostFn, PartitionOptions, PartitionResult, PartitionStage } from './types';

/**
 * Splits an ONNX model into K pipeline stages (the `pp` mode, DESIGN §4).
 *
 * The nodes stay in one topological order and the stages are contiguous runs of it, so every stage
 * only reads what earlier stages (or the request) produced. The cut points follow GPipe's rule of
 * equal-cost stages (the slowest stage sets the pipeline's throughput), refined PipeDream-style by
 * what has to travel between stages: near each balanced point, the cut with the fewest (or, when
 * all shapes are declared, the smallest) crossing tensors wins. `maxStageBytes` bounds each stage's
 * weights, so a model too large for one device can be spread over several.
 *
 * Activation hand-off: a stage outputs every tensor it produces that a later stage reads (and the
 * model outputs it produces); the runner carries all live tensors forward (`cutTensors`). A tensor
 * that stage j+2 reads is an output of stage j and an input of stage j+2; stage j+1 does not forward
 * it through its graph, so no Identity nodes are added and each stage graph is exactly its nodes.
 */
export function partitionModel(model: Uint8Array, opts: PartitionOptions): PartitionResult {
  const stageCount = opts.stages;
  if (!Number.isInteger(stageCount) || stageCount < 1) throw EparaError.badInput(`stages must be an integer ≥ 1, got ${stageCount}`);
  if (opts.maxStageBytes !== undefined && !(opts.maxStageBytes > 0))
    throw EparaError.badInput(`maxStageBytes must be positive, got ${opts.maxStageBytes}`);
  const slack = opts.balanceSlack ?? 0.1;
  if (!(slack >= 0)) throw EparaError.badInput(`balanceSlack must be ≥ 0, got ${opts.balanceSlack}`);

  const analysis = analyzeModel(model);
  const nodeTotal = analysis.nodes.length;
  if (stageCount > nodeTotal) {
    throw EparaError.badInput(
      `cannot make ${stageCount} stages: the model has only ${nodeTotal} compute nodes (Constants and nodes that only transform weights are not placed on their own)`,
    );
  }
  const costs = nodeCosts(analysis, opts.weights ?? estimateNodeCost);
  const prefixCost = [0];
  costs.forEach((c, i) => prefixCost.push(prefixCost[i] + c));
  const crossing = crossingProfile(analysis);
  const feasibility = byteFeasibility(analysis, opts.maxStageBytes, stageCount);

  const cuts = chooseCuts({ stageCount, prefixCost, crossing, feasibility, slack });
  const stages = cuts.slice(0, -1).map((start, index) => {
    const range: [number, number] = [start, cuts[index + 1]];
    return buildStage(analysis, index, stageCount, range, prefixCost[range[1]] - prefixCost[range[0]]);
  });
  if (opts.maxStageBytes !== undefined) {
    // The planner works on the same byte accounting, so this only guards against drift between the two.
    const over = stages.find((s) => s.weightBytes > opts.maxStageBytes!);
    if (over) throw new Error(`internal: stage ${over.index} holds ${over.weightBytes} B > maxStageBytes ${opts.maxStageBytes}`);
  }
  const cutTensors = cuts.slice(1, -1).map((p) => crossing.namesAt(p));
  return {
    stages,
    cutTensors,
    modelInputs: analysis.inputs,
    modelOutputs: analysis.outputs,
    reason: explain(analysis, stages, cutTensors, opts, feasibility.minStages, slack),
  };
}

function nodeCosts(analysis: GraphAnalysis, costOf: NodeCostFn): number[] {
  return analysis.nodes.map((n) => {
    // Elements of what it reads (a derived weight counts as its largest source), bytes of all it needs.
    const weightsRead = n.reads.filter((r) => analysis.weights.has(r)).map((w) => analysis.weights.get(w)!);
    const cost = costOf(n.node, {
      position: n.position,
      weightElements: weightsRead.reduce((sum, w) => sum + w.elements, 0),
      weightBytes: nodeWeightBytes(analysis, n),
      subgraphWeightElements: n.subgraphWeightElements,
    });
    if (!(cost >= 0) || !Number.isFinite(cost))
      throw EparaError.badInput(`the cost function gave ${cost} for ${n.node.opType} "${n.node.name ?? ''}"; costs must be finite and ≥ 0`);
    return cost;
  });
}

/** What would cross a cut at each position p (between node p-1 and node p), for choosing and reporting cuts. */
interface CrossingProfile {
  count: number[];
  /** Bytes of the crossing tensors with declared shapes (symbolic dims as 1). */
  knownBytes: number[];
  /** Whether every crossing tensor's size is known, so bytes can rank the cut. */
  allKnown: boolean[];
  namesAt(p: number): string[];
}

/**
 * A tensor produced at position q (graph inputs: q = -1) and last read at r crosses every cut p with
 * q < p ≤ r; a model output keeps crossing until the end, since the runner must deliver it.
 */
function crossingProfile(analysis: GraphAnalysis): CrossingProfile {
  const nodeTotal = analysis.nodes.length;
  const modelOutputs = new Set(analysis.outputs);
  const spans: { name: string; first: number; last: number; bytes: number | undefined }[] = [];
  const consider = (name: string, producedAt: number) => {
    const lastNeeded = modelOutputs.has(name) ? nodeTotal - 1 : analysis.lastReadPosition.get(name);
    if (lastNeeded === undefined || lastNeeded <= producedAt) return;
    spans.push({ name, first: producedAt + 1, last: lastNeeded, bytes: declaredTensorBytes(analysis.declared.get(name)) });
  };
  analysis.inputs.forEach((name) => consider(name, -1));
  analysis.nodes.forEach((n) => n.writes.forEach((name) => consider(name, n.position)));

  // Difference arrays: +v where a span starts, -v after it ends; a running sum gives each cut's total.
  const countDelta = new Array<number>(nodeTotal + 2).fill(0);
  const bytesDelta = new Array<number>(nodeTotal + 2).fill(0);
  const unknownDelta = new Array<number>(nodeTotal + 2).fill(0);
  const addOver = (delta: number[], span: { first: number; last: number }, value: number) => {
    delta[span.first] += value;
    delta[span.last + 1] -= value;
  };
  for (const span of spans) {
    addOver(countDelta, span, 1);
    if (span.bytes === undefined) addOver(unknownDelta, span, 1);
    else addOver(bytesDelta, span, span.bytes);
  }
  const runningSum = (delta: number[]) => {
    let sum = 0;
    return delta.slice(0, nodeTotal + 1).map((d) => (sum += d));
  };
  const count = runningSum(countDelta);
  const knownBytes = runningSum(bytesDelta);
  const unknown = runningSum(unknownDelta);
  return {
    count,
    knownBytes,
    allKnown: unknown.map((u) => u === 0),
    namesAt: (p) => spans.filter((s) => s.first <= p && p <= s.last).map((s) => s.name),
  };
}

interface ByteFeasibility {
  /** reach[a]: the largest b such that nodes [a, b) fit in maxStageBytes (b = a: node a alone does not fit). */
  reach: number[];
  /** minStagesFrom[p]: fewest stages that can hold nodes [p, N) within maxStageBytes (Infinity: none can). */
  minStagesFrom: number[];
  minStages: number;
}

function nodeWeightBytes(analysis: GraphAnalysis, node: ComputeNode): number {
  return node.weights.reduce((sum, w) => sum + analysis.weights.get(w)!.bytes, 0) + node.subgraphWeightBytes;
}

/**
 * Which cut positions can still lead to a partition within maxStageBytes. A stage's bytes are the union
 * of its nodes' weights, which only grows as a stage extends, so packing each stage as far as it goes
 * (reach) gives the fewest stages for any suffix; a cut p is usable by cut j iff the rest [p, N) fits
 * in the K - j stages left.
 */
function byteFeasibility(analysis: GraphAnalysis, maxStageBytes: number | undefined, stageCount: number): ByteFeasibility {
  const nodes = analysis.nodes;
  const nodeTotal = nodes.length;
  if (maxStageBytes === undefined) {
    return { reach: new Array(nodeTotal + 1).fill(nodeTotal), minStagesFrom: [...new Array(nodeTotal).fill(1), 0], minStages: 1 };
  }
  // Two pointers over the node order, counting how many nodes in the window use each weight.
  const usesInWindow = new Map<string, number>();
  let windowBytes = 0;
  let end = 0;
  const reach = new Array<number>(nodeTotal + 1).fill(nodeTotal);
  const bytesIfAdded = (p: number) =>
    windowBytes +
    nodes[p].subgraphWeightBytes +
    nodes[p].weights.filter((w) => !usesInWindow.get(w)).reduce((s, w) => s + analysis.weights.get(w)!.bytes, 0);
  for (let start = 0; start < nodeTotal; start++) {
    if (end < start) end = start;
    while (end < nodeTotal && bytesIfAdded(end) <= maxStageBytes) {
      windowBytes = bytesIfAdded(end);
      nodes[end].weights.forEach((w) => usesInWindow.set(w, (usesInWindow.get(w) ?? 0) + 1));
      end++;
    }
    reach[start] = end;
    if (end > start) {
      windowBytes -= nodes[start].subgraphWeightBytes;
      for (const w of nodes[start].weights) {
        const left = usesInWindow.get(w)! - 1;
        usesInWindow.set(w, left);
        if (left === 0) windowBytes -= analysis.weights.get(w)!.bytes;
      }
    }
  }
  const minStagesFrom = new Array<number>(nodeTotal + 1).fill(0);
  for (let p = nodeTotal - 1; p >= 0; p--) minStagesFrom[p] = reach[p] === p ? Infinity : 1 + minStagesFrom[reach[p]];

  const tooLarge = nodes.find((n) => reach[n.position] === n.position);
  if (tooLarge) {
    throw EparaError.badInput(
      `maxStageBytes ${formatBytes(maxStageBytes)} is impossible: ${tooLarge.node.opType} "${tooLarge.node.name ?? ''}" alone holds ` +
        `${formatBytes(nodeWeightBytes(analysis, tooLarge))} of weights, and a node is never split`,
      { maxStageBytes, nodeBytes: nodeWeightBytes(analysis, tooLarge) },
    );
  }
  if (minStagesFrom[0] > stageCount) {
    const totalBytes =
      [...analysis.weights.values()].reduce((s, w) => s + w.bytes, 0) + nodes.reduce((s, n) => s + n.subgraphWeightBytes, 0);
    throw EparaError.badInput(
      `the model's ${formatBytes(totalBytes)} of weights do not fit in ${stageCount} stages of at most ${formatBytes(maxStageBytes)}: ` +
        `at least ${minStagesFrom[0]} stages are needed`,
      { stages: stageCount, maxStageBytes, minStages: minStagesFrom[0] },
    );
  }
  return { reach, minStagesFrom, minStages: minStagesFrom[0] };
}

/**
 * Cut j goes near the point that splits the remaining cost evenly over the remaining stages (so one
 * cut that had to move does not skew all the rest). Among the feasible cuts whose cost is within
 * `slack` of a stage from that point, the one with the fewest crossing tensors wins — or the fewest
 * bytes when every crossing tensor in the window has a declared shape; ties go to the better balance.
 */
function chooseCuts(plan: {
  stageCount: number;
  prefixCost: number[];
  crossing: CrossingProfile;
  feasibility: ByteFeasibility;
  slack: number;
}): number[] {
  const { stageCount, prefixCost, crossing, feasibility, slack } = plan;
  const nodeTotal = prefixCost.length - 1;
  const total = prefixCost[nodeTotal];
  const cuts = [0];
  for (let j = 1; j < stageCount; j++) {
    const previous = cuts[j - 1];
    const stagesLeft = stageCount - j + 1;
    const idealStageCost = (total - prefixCost[previous]) / stagesLeft;
    const target = prefixCost[previous] + idealStageCost;
    const feasible: number[] = [];
    const last = Math.min(nodeTotal - (stageCount - j), feasibility.reach[previous]);
    for (let p = previous + 1; p <= last; p++) if (feasibility.minStagesFrom[p] <= stageCount - j) feasible.push(p);
    if (feasible.length === 0) throw new Error(`internal: no feasible position for cut ${j} after ${previous}`);

    const imbalance = (p: number) => Math.abs(prefixCost[p] - target);
    const closest = Math.min(...feasible.map(imbalance));
    const window = feasible.filter((p) => imbalance(p) <= closest + slack * idealStageCost);
    const rankByBytes = window.every((p) => crossing.allKnown[p]);
    const narrowness = (p: number) =>
      rankByBytes ? [crossing.knownBytes[p], crossing.count[p]] : [crossing.count[p], crossing.knownBytes[p]];
    const key = (p: number) => [...narrowness(p), imbalance(p), p];
    const best = window.reduce((a, b) => (compareKeys(key(b), key(a)) < 0 ? b : a));
    cuts.push(best);
  }
  cuts.push(nodeTotal);
  return cuts;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Declared value info when the model has it (keeps shapes), else the element type alone (unknown shape). */
function valueInfoFor(analysis: GraphAnalysis, name: string): onnx.IValueInfoProto {
  return analysis.declared.get(name) ?? { name, type: { tensorType: { elemType: analysis.elemTypes.get(name) ?? DataType.FLOAT } } };
}

function buildStage(
  analysis: GraphAnalysis,
  index: number,
  stageCount: number,
  range: [number, number],
  estimatedCost: number,
): PartitionStage {
  const [start, end] = range;
  const isLast = index === stageCount - 1;
  const members = analysis.nodes.slice(start, end);
  const produced = new Set(members.flatMap((n) => n.writes));
  const modelOutputs = new Set(analysis.outputs);

  // A weight that is itself a model output (rare) is emitted by the last stage.
  const weightOutputs = isLast ? analysis.outputs.filter((o) => analysis.weights.has(o)) : [];
  const weightNames = new Set([...members.flatMap((n) => n.weights), ...weightOutputs]);
  const weights = [...weightNames].map((w) => analysis.weights.get(w)!);
  const weightProducers = new Set(weights.flatMap((w) => (w.producer ? [w.producer] : [])));

  const inputOrder = (name: string) => {
    const asGraphInput = analysis.inputs.indexOf(name);
    return asGraphInput >= 0 ? asGraphInput - analysis.inputs.length : analysis.producerPosition.get(name)!;
  };
  const inputs = [...new Set(members.flatMap((n) => n.reads))]
    .filter((r) => !weightNames.has(r) && !produced.has(r))
    .sort((a, b) => inputOrder(a) - inputOrder(b));
  const readLater = members.flatMap((n) => n.writes).filter((t) => !modelOutputs.has(t) && (analysis.lastReadPosition.get(t) ?? -1) >= end);
  const outputs = [...analysis.outputs.filter((o) => produced.has(o) || weightOutputs.includes(o)), ...readLater];

  const boundary = new Set([...inputs, ...outputs]);
  const graph = analysis.graph;
  const stageGraph = onnx.GraphProto.create({
    name: `${graph.name ?? 'graph'}_stage${index}`,
    docString: `pipeline stage ${index + 1} of ${stageCount}: nodes [${start}, ${end}) of the topological order`,
    // Weight-producing nodes first (in topological order among themselves): they read only weights.
    node: [...analysis.orderedNodes.filter((n) => weightProducers.has(n)), ...members.map((n) => n.node)],
    initializer: weights.flatMap((w) => (w.initializer ? [w.initializer] : [])),
    sparseInitializer: weights.flatMap((w) => (w.sparseInitializer ? [w.sparseInitializer] : [])),
    input: inputs.map((name) => valueInfoFor(analysis, name)),
    output: outputs.map((name) => valueInfoFor(analysis, name)),
    valueInfo: (graph.valueInfo ?? []).filter((v) => produced.has(v.name ?? '') && !boundary.has(v.name ?? '')),
  });
  const source = analysis.model;
  const stageModel = onnx.ModelProto.create({
    irVersion: source.irVersion,
    opsetImport: source.opsetImport,
    producerName: source.producerName,
    producerVersion: source.producerVersion,
    domain: source.domain,
    modelVersion: source.modelVersion,
    docString: `stage ${index + 1}/${stageCount} of a pipeline partition (epara)${source.docString ? `; original: ${source.docString}` : ''}`,
    metadataProps: source.metadataProps,
    functions: source.functions,
    graph: stageGraph,
  });
  return {
    index,
    model: onnx.ModelProto.encode(stageModel).finish(),
    inputs,
    outputs,
    nodeCount: stageGraph.node.length,
    nodeRange: range,
    weightBytes: weights.reduce((s, w) => s + w.bytes, 0) + members.reduce((s, n) => s + n.subgraphWeightBytes, 0),
    estimatedCost,
  };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1 << 20) return `${(bytes / (1 << 20)).toFixed(2)} MiB`;
  if (bytes >= 1 << 10) return `${(bytes / (1 << 10)).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function explain(
  analysis: GraphAnalysis,
  stages: PartitionStage[],
  cutTensors: string[][],
  opts: PartitionOptions,
  minStages: number,
  slack: number,
): string {
  const totalCost = stages.reduce((s, st) => s + st.estimatedCost, 0) || 1;
  const share = stages.map((s) => `${Math.round((100 * s.estimatedCost) / totalCost)}%`).join(' / ');
  const bottleneck = Math.max(...stages.map((s) => s.estimatedCost)) / (totalCost / stages.length);
  const parts = [
    `${stages.length} stage(s) over ${analysis.nodes.length} compute nodes${analysis.reordered ? ' (node order was not topological; sorted)' : ''}`,
    `balanced by ${opts.weights ? 'the given' : 'the default estimated'} cost (GPipe-style equal stages): ${share}, slowest ${bottleneck.toFixed(2)}× the mean`,
    `weights ${stages.map((s) => formatBytes(s.weightBytes)).join(' / ')}`,
  ];
  if (cutTensors.length > 0) {
    parts.push(
      `cuts before nodes ${stages
        .slice(1)
        .map((s) => s.nodeRange[0])
        .join(', ')} carry ${cutTensors.map((c) => c.length).join(', ')} tensor(s) ` +
        `(narrowest crossing within ±${Math.round(slack * 100)}% of a stage's cost from the balanced point)`,
    );
  }
  if (opts.maxStageBytes !== undefined)
    parts.push(`every stage within maxStageBytes ${formatBytes(opts.maxStageBytes)} (needs ≥ ${minStages} stage(s))`);
  return parts.join('; ');
}
