import { onnx } from 'onnx-proto';
import { EparaError } from '@epara/contracts/errors';
import { constantValue, DataType, elementCount, outputElementTypes, sparseTensorBytes, tensorBytes } from './tensor-types';

/**
 * What the partitioner needs to know about a model's main graph: its compute nodes in topological
 * order, its weights, and for every activation who produces it and who reads it last.
 *
 * Weights are initializers, sparse initializers, the outputs of `Constant` nodes (PaddlePaddle
 * exports such as PP-OCR keep every weight in a `Constant` node and have no initializers at all) and
 * "derived" weights: outputs of deterministic nodes that read only weights. Weights are not placed
 * themselves: each stage gets a copy of the weights its nodes need (with the nodes that compute them),
 * so a weight never crosses a cut as an activation would. Compute nodes are the rest; stages are
 * contiguous runs of them in topological order.
 */

export interface WeightInfo {
  name: string;
  /** Bytes it adds to a stage; 0 for a derived weight (its sources are counted instead). */
  bytes: number;
  /** Elements (for cost estimates); a derived weight has as many as its largest source. */
  elements: number;
  elemType: number;
  initializer?: onnx.ITensorProto;
  sparseInitializer?: onnx.ISparseTensorProto;
  /** The node that computes it from nothing (Constant) or only from other weights; copied into every stage that reads it. */
  producer?: onnx.INodeProto;
  /** Weights `producer` reads. */
  sources: string[];
}

export interface ComputeNode {
  node: onnx.INodeProto;
  /** Position in the topological order of compute nodes (what cut points index). */
  position: number;
  /** Tensors it reads, weights included, without duplicates or omitted optional inputs (''). For If/Loop/Scan, names its subgraphs take from the outer scope count too: the node needs them in its stage. */
  reads: string[];
  writes: string[];
  /** Every weight it needs: the ones it reads and, for derived weights, their sources (transitively). */
  weights: string[];
  /** Weights held inside its subgraphs (If/Loop/Scan bodies travel with the node, whole). */
  subgraphWeightBytes: number;
  subgraphWeightElements: number;
}

export interface GraphAnalysis {
  model: onnx.ModelProto;
  graph: onnx.IGraphProto;
  nodes: ComputeNode[];
  weights: Map<string, WeightInfo>;
  /** Every node of the graph (weight producers included) in topological order. */
  orderedNodes: onnx.INodeProto[];
  /** Graph inputs the caller feeds (inputs that merely declare an initializer are weights, not here). */
  inputs: string[];
  outputs: string[];
  /** Activation → position of the node that writes it. Graph inputs are absent (produced "before" position 0). */
  producerPosition: Map<string, number>;
  /** Activation or graph input → position of the last node that reads it; absent when nothing reads it. */
  lastReadPosition: Map<string, number>;
  /** The model's own declarations (graph inputs, outputs, value_info), which carry shapes when known. */
  declared: Map<string, onnx.IValueInfoProto>;
  /** Element type of every tensor: declared, or inferred from the producing op (float where unknown). */
  elemTypes: Map<string, number>;
  /** True when the stored node order was not topological and had to be sorted. */
  reordered: boolean;
}

const nonEmpty = (names: readonly string[] | null | undefined) => (names ?? []).filter((n) => n !== '');

export function subgraphsOf(node: onnx.INodeProto): onnx.IGraphProto[] {
  return (node.attribute ?? []).flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);
}

const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

/** Names a subgraph reads from enclosing scopes: used but neither its own input, initializer nor node output. */
function outerScopeReads(graph: onnx.IGraphProto): Set<string> {
  const defined = new Set<string>([
    ...(graph.input ?? []).map((v) => v.name ?? ''),
    ...(graph.initializer ?? []).map((t) => t.name ?? ''),
    ...(graph.sparseInitializer ?? []).map((s) => s.values?.name ?? ''),
    ...(graph.node ?? []).flatMap((n) => n.output ?? []),
  ]);
  const reads = new Set<string>();
  for (const node of graph.node ?? []) {
    for (const name of nonEmpty(node.input)) if (!defined.has(name)) reads.add(name);
    for (const sub of subgraphsOf(node)) for (const name of outerScopeReads(sub)) if (!defined.has(name)) reads.add(name);
  }
  return reads;
}

/** Bytes and elements of the weights a subgraph holds (initializers and Constants, nested graphs included). */
function embeddedWeights(graph: onnx.IGraphProto): { bytes: number; elements: number } {
  let bytes = 0;
  let elements = 0;
  for (const t of graph.initializer ?? []) {
    bytes += tensorBytes(t);
    elements += elementCount(t.dims);
  }
  for (const s of graph.sparseInitializer ?? []) {
    bytes += sparseTensorBytes(s);
    elements += elementCount(s.values?.dims);
  }
  for (const node of graph.node ?? []) {
    if (node.opType === 'Constant') {
      const value = constantValue(node);
      bytes += value.bytes;
      elements += value.elements;
    }
    for (const sub of subgraphsOf(node)) {
      const inner = embeddedWeights(sub);
      bytes += inner.bytes;
      elements += inner.elements;
    }
  }
  return { bytes, elements };
}

function describeNode(node: onnx.INodeProto): string {
  return `${node.opType}${node.name ? ` "${node.name}"` : ''}`;
}

interface UnorderedNode {
  node: onnx.INodeProto;
  originalIndex: number;
  reads: string[];
  writes: string[];
}

/**
 * Kahn's algorithm, always taking the ready node that came first in the file, so a graph that is
 * already sorted (the usual case, checked first) keeps its order and an unsorted one stays close to it.
 */
function topologicalOrder(entries: UnorderedNode[], available: Set<string>): { ordered: UnorderedNode[]; reordered: boolean } {
  const seen = new Set(available);
  const alreadySorted = entries.every((e) => {
    const ok = e.reads.every((r) => seen.has(r));
    e.writes.forEach((w) => seen.add(w));
    return ok;
  });
  if (alreadySorted) return { ordered: entries, reordered: false };

  const writer = new Map<string, number>();
  entries.forEach((e, i) => e.writes.forEach((w) => writer.set(w, i)));
  const waitingOn = entries.map(() => 0);
  const readers: number[][] = entries.map(() => []);
  entries.forEach((e, i) => {
    for (const r of e.reads) {
      if (available.has(r)) continue;
      const w = writer.get(r);
      if (w === undefined)
        throw EparaError.badInput(`${describeNode(e.node)} reads "${r}", which no node, graph input or initializer provides`);
      waitingOn[i]++;
      readers[w].push(i);
    }
  });
  const ready = entries.map((_, i) => i).filter((i) => waitingOn[i] === 0);
  const ordered: UnorderedNode[] = [];
  while (ready.length > 0) {
    const next = ready.shift()!;
    ordered.push(entries[next]);
    for (const reader of readers[next]) {
      if (--waitingOn[reader] === 0) {
        // Keep `ready` sorted by file position (insertion by binary search).
        let lo = 0;
        let hi = ready.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (ready[mid] < reader) lo = mid + 1;
          else hi = mid;
        }
        ready.splice(lo, 0, reader);
      }
    }
  }
  if (ordered.length < entries.length) {
    const stuck = entries
      .filter((_, i) => waitingOn[i] > 0)
      .slice(0, 3)
      .map((e) => describeNode(e.node));
    throw EparaError.badInput(`the graph has a cycle (nodes never ready: ${stuck.join(', ')}…); an ONNX graph must be acyclic`);
  }
  return { ordered, reordered: true };
}

/** Ops whose result is not a pure function of their inputs: never folded into a derived weight. */
const NONDETERMINISTIC = new Set([
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'Dropout',
]);

export function analyzeModel(bytes: Uint8Array): GraphAnalysis {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw EparaError.badInput(`model bytes are not an ONNX ModelProto: ${(e as Error).message}`);
  }
  const graph = model.graph;
  if (!graph) throw EparaError.badInput('model has no graph');

  const weights = new Map<string, WeightInfo>();
  for (const t of graph.initializer ?? []) {
    const name = t.name ?? '';
    weights.set(name, {
      name,
      bytes: tensorBytes(t),
      elements: elementCount(t.dims),
      elemType: t.dataType ?? DataType.FLOAT,
      initializer: t,
      sources: [],
    });
  }
  for (const s of graph.sparseInitializer ?? []) {
    const name = s.values?.name ?? '';
    weights.set(name, {
      name,
      bytes: sparseTensorBytes(s),
      elements: elementCount(s.values?.dims),
      elemType: s.values?.dataType ?? DataType.FLOAT,
      sparseInitializer: s,
      sources: [],
    });
  }
  // Old (IR < 4) exports list initializers among the inputs too; those are weights, not feeds.
  const inputs = (graph.input ?? []).map((v) => v.name ?? '').filter((n) => !weights.has(n));
  const outputs = (graph.output ?? []).map((v) => v.name ?? '');
  const isModelOutput = new Set(outputs);

  const entries: UnorderedNode[] = (graph.node ?? []).map((node, originalIndex) => {
    const reads = new Set(nonEmpty(node.input));
    for (const sub of subgraphsOf(node)) for (const name of outerScopeReads(sub)) reads.add(name);
    return { node, originalIndex, reads: [...reads], writes: nonEmpty(node.output) };
  });
  const { ordered, reordered } = topologicalOrder(entries, new Set([...inputs, ...weights.keys()]));

  const declared = new Map<string, onnx.IValueInfoProto>();
  for (const info of [...(graph.valueInfo ?? []), ...(graph.input ?? []), ...(graph.output ?? [])]) {
    if (info.name && info.type) declared.set(info.name, info);
  }
  const elemTypes = inferElementTypes(ordered, weights, declared);

  // Weights computed by nodes: Constants, and deterministic nodes that read only weights (e.g. the
  // Reshape(bias, shape) nodes onnxruntime's quantizer hoists to the front of the graph). onnxruntime
  // folds them at load; placing them would make their results cross cuts as if they were activations.
  const computeEntries: UnorderedNode[] = [];
  for (const entry of ordered) {
    const { node, reads, writes } = entry;
    const producesModelOutput = writes.some((w) => isModelOutput.has(w));
    const isConstant = node.opType === 'Constant' && reads.length === 0 && writes.length === 1;
    const isDerived =
      reads.length > 0 && reads.every((r) => weights.has(r)) && !NONDETERMINISTIC.has(node.opType ?? '') && subgraphsOf(node).length === 0;
    if (!DEFAULT_DOMAINS.has(node.domain ?? '') || producesModelOutput || !(isConstant || isDerived)) {
      computeEntries.push(entry);
      continue;
    }
    const value = isConstant ? constantValue(node) : undefined;
    const elements = value?.elements ?? Math.max(0, ...reads.map((r) => weights.get(r)!.elements));
    for (const name of writes) {
      weights.set(name, {
        name,
        bytes: value?.bytes ?? 0,
        elements,
        elemType: elemTypes.get(name) ?? DataType.FLOAT,
        producer: node,
        sources: reads,
      });
    }
  }

  const weightClosure = (names: string[]): string[] => {
    const needed = new Set<string>();
    const visit = (name: string) => {
      if (needed.has(name)) return;
      needed.add(name);
      weights.get(name)!.sources.forEach(visit);
    };
    names.forEach(visit);
    return [...needed];
  };
  const producerPosition = new Map<string, number>();
  const lastReadPosition = new Map<string, number>();
  const nodes: ComputeNode[] = computeEntries.map((entry, position) => {
    entry.writes.forEach((w) => producerPosition.set(w, position));
    entry.reads.filter((r) => !weights.has(r)).forEach((r) => lastReadPosition.set(r, position));
    const embedded = subgraphsOf(entry.node).reduce(
      (sum, sub) => {
        const inner = embeddedWeights(sub);
        return { bytes: sum.bytes + inner.bytes, elements: sum.elements + inner.elements };
      },
      { bytes: 0, elements: 0 },
    );
    return {
      node: entry.node,
      position,
      reads: entry.reads,
      writes: entry.writes,
      weights: weightClosure(entry.reads.filter((r) => weights.has(r))),
      subgraphWeightBytes: embedded.bytes,
      subgraphWeightElements: embedded.elements,
    };
  });
  return {
    model,
    graph,
    nodes,
    weights,
    orderedNodes: ordered.map((e) => e.node),
    inputs,
    outputs,
    producerPosition,
    lastReadPosition,
    declared,
    elemTypes,
    reordered,
  };
}

/** Declared types first, then one pass in topological order using the op rules in tensor-types.ts. */
function inferElementTypes(
  ordered: UnorderedNode[],
  weights: Map<string, WeightInfo>,
  declared: Map<string, onnx.IValueInfoProto>,
): Map<string, number> {
  const types = new Map<string, number>();
  for (const [name, w] of weights) types.set(name, w.elemType);
  for (const [name, info] of declared) {
    const elemType = info.type?.tensorType?.elemType;
    if (elemType) types.set(name, elemType);
  }
  for (const { node } of ordered) {
    const inputNames = node.input ?? [];
    const inputType = (i: number) => (inputNames[i] ? types.get(inputNames[i]) : undefined);
    const firstKnownInput = inputNames.map((n) => types.get(n)).find((t) => t !== undefined);
    const inferred = outputElementTypes(node, inputType);
    (node.output ?? []).forEach((name, i) => {
      if (name === '' || types.has(name)) return;
      types.set(name, inferred[i] ?? firstKnownInput ?? DataType.FLOAT);
    });
  }
  return types;
}
