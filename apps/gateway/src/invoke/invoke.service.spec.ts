import { errors, headers as natsHeaders, Msg, MsgHdrs } from '@nats-io/transport-node';
import {
  decodeInvocation,
  decodeResultTensors,
  encodeResult,
  encodeTensorsMsgpack,
  EparaError,
  FunctionKind,
  FunctionRecord,
  Header,
  MediaType,
  Mode,
  subjects,
  Tensor,
} from '@epara/contracts';
import type { NatsClient, ReplicaView } from '@epara/nats';
import { chooseStickyReplica, servingPolicy } from '@epara/policy';
import type { ClusterView } from '../cluster/cluster-view.service';
import type { GatewayMetrics } from '../common/gateway-metrics';
import type { GatewayConfig } from '../config';
import type { FunctionRegistry } from '../functions/function-registry.service';
import { InvokeService } from './invoke.service';
import { PipelineInvoker } from './pipeline-invoker';
import { WorkerCaller } from './worker-caller';
import { AdmissionService } from './admission.service';
import type { SplitInvoker } from './split-invoker';

interface SentRequest {
  subject: string;
  headers: MsgHdrs;
  body: Uint8Array;
}

/** A worker's answer to one request: a reply (body, serving headers) or a thrown NATS failure. */
type AnswerBody = { body: Uint8Array; headers?: Record<string, string> };
type Answer = (req: SentRequest) => AnswerBody | Promise<AnswerBody>;

/** What nats.js rejects a request with when nobody subscribes to its subject. */
const noResponders = () => {
  throw new errors.RequestError('no responders', { cause: new errors.NoRespondersError('subject') });
};

/** The NATS request path as a table: subject → how it answers; every request is recorded. */
class FakeTransport {
  readonly sent: SentRequest[] = [];
  readonly answers = new Map<string, Answer>();
  readonly payloads = {
    request: async (_nc: unknown, subject: string, body: Uint8Array, opts: { headers: MsgHdrs }) => {
      const req = { subject, headers: opts.headers, body };
      this.sent.push(req);
      const answer = this.answers.get(subject);
      if (!answer) noResponders();
      const out = await answer!(req);
      const h = natsHeaders();
      for (const [k, v] of Object.entries(out.headers ?? {})) h.set(k, v);
      return { msg: { headers: h, data: out.body } as unknown as Msg, body: out.body };
    },
  };
}

function load(device: string, fn: string, queued = 0) {
  return { device, queued, running: 0, functions: [{ fn, ready: true, execMsEwma: 1, queued: 0, preferredBatchSize: 1 }] };
}

/** The cluster view as a table of unit → replicas (fresh heartbeats), with the in-flight counts it keeps. */
class FakeCluster {
  readonly units = new Map<string, ReplicaView[]>();
  readonly inflight = new Map<string, number>();
  private readonly goneListeners: ((device: string, why: string) => void)[] = [];
  readonly state = {
    replicas: (fn: string, stage?: number) => this.units.get(stage === undefined ? fn : `${fn}#${stage}`) ?? [],
    onDeviceGone: (l: (device: string, why: string) => void) => void this.goneListeners.push(l),
    onDeviceReconnected: () => undefined,
  };
  /** The liveness probes found `device` gone. */
  gone(device: string): void {
    for (const l of this.goneListeners) l(device, 'nobody answers its liveness subject');
  }
  place(unit: string, mode: Mode, devices: { device: string; queued?: number }[]): void {
    this.units.set(
      unit,
      devices.map((d) => ({ device: d.device, mode, ageMs: 10, state: load(d.device, unit, d.queued) as unknown as ReplicaView['state'] })),
    );
  }
  inflightOn(device: string): number {
    return this.inflight.get(device) ?? 0;
  }
  begin(device: string): void {
    this.inflight.set(device, this.inflightOn(device) + 1);
  }
  end(device: string): void {
    this.inflight.set(device, this.inflightOn(device) - 1);
  }
}

function fnRecord(name: string, over: Partial<FunctionRecord> = {}): FunctionRecord {
  return {
    name,
    kind: FunctionKind.Tensor,
    category: { sensitivity: 'latency', footprint: 'single', mode: Mode.Dp },
    slo: { latencyMs: 1_000 },
    model: { outputs: [{ name: 'y' }] },
    ...over,
  } as unknown as FunctionRecord;
}

function tensor(name: string, value: number): Tensor {
  return { name, datatype: 'FP32', shape: [1, 1], data: new Float32Array([value]) };
}

function tensorReply(outputs: Tensor[], headers: Record<string, string> = {}) {
  return { body: encodeResult({ type: 'tensors', outputs }, { modelName: 'm' }, MediaType.Msgpack).body, headers };
}

function setup(records: FunctionRecord[]) {
  const transport = new FakeTransport();
  const cluster = new FakeCluster();
  const byName = new Map(records.map((r) => [r.name, r]));
  const registry = {
    find: (fn: string) => byName.get(fn),
    get: (fn: string) => {
      const record = byName.get(fn);
      if (!record) throw EparaError.notFound(`no function "${fn}"`);
      return record;
    },
  };
  const counter = { inc: () => undefined, observe: () => undefined };
  const metrics = { requests: counter, goodRequests: counter, latency: counter };
  const config = { policy: servingPolicy('epara'), replyGraceMs: 100, directReply: true } as unknown as GatewayConfig;
  const nats = { nc: {}, payloads: transport.payloads, health: { down: () => undefined } } as unknown as NatsClient;
  const caller = new WorkerCaller(nats, cluster as unknown as ClusterView, config);
  const sut = new InvokeService(
    nats,
    registry as unknown as FunctionRegistry,
    caller,
    metrics as unknown as GatewayMetrics,
    config,
    {} as SplitInvoker,
    new PipelineInvoker(caller),
    new AdmissionService(
      { state: { onHeartbeat: () => undefined } } as unknown as ClusterView,
      config,
      metrics as unknown as GatewayMetrics,
    ),
  );
  return { sut, transport, cluster };
}

const json = (doc: unknown) => ({ body: Buffer.from(JSON.stringify(doc)), contentType: MediaType.Json });

describe('InvokeService', () => {
  it("sends a request to the less loaded replica's device subject with its deadline and id, and passes the serving headers on", async () => {
    const { sut, transport, cluster } = setup([fnRecord('f')]);
    cluster.place('f', Mode.Dp, [
      { device: 'a', queued: 4 },
      { device: 'b', queued: 0 },
    ]);
    transport.answers.set(subjects.device(Mode.Dp, 'f', 'b'), () => ({
      body: Buffer.from('{"ok":true}'),
      headers: { [Header.Device]: 'b', [Header.BatchSize]: '2', [Header.ContentType]: MediaType.Json },
    }));

    const before = Date.now();
    const reply = await sut.invoke('f', { ...json({ x: 1 }), requestId: 'r-1' }, 'http');

    expect(transport.sent.map((s) => s.subject)).toEqual([subjects.device(Mode.Dp, 'f', 'b')]);
    const deadline = Number(transport.sent[0].headers.get(Header.Deadline));
    expect(deadline).toBeGreaterThanOrEqual(before + 1_000);
    expect(deadline).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(transport.sent[0].headers.get(Header.RequestId)).toBe('r-1');
    expect(reply.headers).toEqual({ [Header.Device]: 'b', [Header.BatchSize]: '2', [Header.RequestId]: 'r-1' });
    expect(cluster.inflightOn('b')).toBe(0);
  });

  it('keeps a client deadline earlier than arrival + SLO', async () => {
    const { sut, transport, cluster } = setup([fnRecord('f')]);
    cluster.place('f', Mode.Dp, [{ device: 'a' }]);
    transport.answers.set(subjects.device(Mode.Dp, 'f', 'a'), () => ({ body: Buffer.from('{}') }));
    const clientDeadline = Date.now() + 200;

    await sut.invoke('f', { ...json({}), deadlineEpochMs: clientDeadline }, 'http');

    expect(transport.sent[0].headers.get(Header.Deadline)).toBe(String(clientDeadline));
  });

  it('refuses a frame of a stateful kind without a stream id (400), and sends one with it to its rendezvous replica, carrying the id', async () => {
    const { sut, transport, cluster } = setup([fnRecord('vad', { kind: FunctionKind.AudioVad })]);
    cluster.place('vad', Mode.Dp, [{ device: 'a' }, { device: 'b' }, { device: 'c' }]);
    for (const d of ['a', 'b', 'c']) transport.answers.set(subjects.device(Mode.Dp, 'vad', d), () => ({ body: Buffer.from('{}') }));
    const frame = { body: new Uint8Array(1024), contentType: 'audio/L16' };

    await expect(sut.invoke('vad', frame, 'http')).rejects.toMatchObject({
      code: 400,
      message: expect.stringMatching(/^function "vad" keeps state per stream: send the header Epara-Stream-Id/),
    });
    const decision = chooseStickyReplica(
      ['a', 'b', 'c'].map((device) => ({ device, ready: true, ageMs: 0, queued: 0, running: 0, localInflight: 0, execMsEwma: 1 })),
      'mic-1',
    );
    for (let i = 0; i < 3; i++) await sut.invoke('vad', { ...frame, streamId: 'mic-1' }, 'http');

    expect(decision.kind).toBe('replica');
    const expected = subjects.device(Mode.Dp, 'vad', decision.kind === 'replica' ? decision.device : '');
    expect(transport.sent.map((s) => s.subject)).toEqual([expected, expected, expected]);
    expect(transport.sent[0].headers.get(Header.StreamId)).toBe('mic-1');
  });

  it('answers 503 when no replica is placed', async () => {
    const { sut } = setup([fnRecord('f')]);

    await expect(sut.invoke('f', json({}), 'http')).rejects.toMatchObject({
      code: 503,
      message: expect.stringMatching(/no replica placed yet/),
    });
  });

  it('retries once on another replica after "no responders"', async () => {
    const { sut, transport, cluster } = setup([fnRecord('f')]);
    cluster.place('f', Mode.Dp, [{ device: 'a' }, { device: 'b', queued: 3 }]);
    transport.answers.set(subjects.device(Mode.Dp, 'f', 'b'), () => ({ body: Buffer.from('{}'), headers: { [Header.Device]: 'b' } }));

    const reply = await sut.invoke('f', json({}), 'http');

    expect(transport.sent.map((s) => s.subject)).toEqual([subjects.device(Mode.Dp, 'f', 'a'), subjects.device(Mode.Dp, 'f', 'b')]);
    expect(reply.headers[Header.Device]).toBe('b');
  });

  it('retries on another replica a request that was waiting on a worker found gone meanwhile', async () => {
    const { sut, transport, cluster } = setup([fnRecord('f')]);
    cluster.place('f', Mode.Dp, [{ device: 'a' }, { device: 'b', queued: 3 }]);
    let sentToA: () => void = () => undefined;
    const atA = new Promise<void>((r) => (sentToA = r));
    transport.answers.set(subjects.device(Mode.Dp, 'f', 'a'), () => {
      sentToA();
      return new Promise<never>(() => undefined); // the worker died holding it: no answer ever comes
    });
    transport.answers.set(subjects.device(Mode.Dp, 'f', 'b'), () => ({ body: Buffer.from('{}'), headers: { [Header.Device]: 'b' } }));

    const pending = sut.invoke('f', json({}), 'http');
    await atA;
    cluster.gone('a');
    const reply = await pending;

    expect(transport.sent.map((s) => s.subject)).toEqual([subjects.device(Mode.Dp, 'f', 'a'), subjects.device(Mode.Dp, 'f', 'b')]);
    expect(reply.headers[Header.Device]).toBe('b');
    expect(cluster.inflightOn('a')).toBe(0);
  });

  it('retries on the queue group when no other replica exists, then answers 503', async () => {
    const { sut, transport, cluster } = setup([fnRecord('f')]);
    cluster.place('f', Mode.Dp, [{ device: 'a' }]);

    await expect(sut.invoke('f', json({}), 'http')).rejects.toMatchObject({
      code: 503,
      message: expect.stringMatching(/no worker answered for function "f"/),
    });
    expect(transport.sent.map((s) => s.subject)).toEqual([subjects.device(Mode.Dp, 'f', 'a'), subjects.mode(Mode.Dp, 'f')]);
  });

  it('chains a pipeline stage to stage through the gateway, the deadline travelling with every stage', async () => {
    const stageSpec = (name: string) => ({ name, datatype: 'FP32', shape: [1, 1], batchAxis: 0 });
    const record = fnRecord('net', {
      category: { sensitivity: 'latency', footprint: 'multi', mode: Mode.Pp },
      model: {
        outputs: [stageSpec('y')],
        stages: [
          { index: 0, sha256: 's0', sizeBytes: 1, batchable: true, inputs: [stageSpec('x')], outputs: [stageSpec('h')] },
          { index: 1, sha256: 's1', sizeBytes: 1, batchable: true, inputs: [stageSpec('h'), stageSpec('x')], outputs: [stageSpec('y')] },
        ],
      },
    } as unknown as Partial<FunctionRecord>);
    const { sut, transport, cluster } = setup([record]);
    cluster.place('net#0', Mode.Dp, [{ device: 'a' }]);
    cluster.place('net#1', Mode.Dp, [{ device: 'b' }]);
    transport.answers.set(subjects.device(Mode.Dp, 'net', 'a'), () =>
      tensorReply([tensor('h', 2)], { [Header.Device]: 'a', [Header.ExecMs]: '1', [Header.QueueMs]: '0.5' }),
    );
    transport.answers.set(subjects.device(Mode.Dp, 'net', 'b'), () =>
      tensorReply([tensor('y', 3)], { [Header.Device]: 'b', [Header.ExecMs]: '2', [Header.QueueMs]: '0' }),
    );

    const reply = await sut.invoke(
      'net',
      { body: encodeTensorsMsgpack([tensor('x', 1)]), contentType: MediaType.Msgpack, requestId: 'r-9' },
      'http',
    );

    expect(transport.sent.map((s) => [s.subject, s.headers.get(Header.Stage)])).toEqual([
      [subjects.device(Mode.Dp, 'net', 'a'), '0'],
      [subjects.device(Mode.Dp, 'net', 'b'), '1'],
    ]);
    expect(new Set(transport.sent.map((s) => s.headers.get(Header.Deadline))).size).toBe(1);
    // Stage 1 reads the first stage's output and the request's own input.
    const secondFeeds = decodeInvocation(transport.sent[1].body, MediaType.Msgpack);
    expect(secondFeeds.type === 'tensors' && secondFeeds.inputs.map((t) => [t.name, t.data[0]])).toEqual([
      ['h', 2],
      ['x', 1],
    ]);
    expect(decodeResultTensors(reply.body, reply.contentType).map((t) => [t.name, t.data[0]])).toEqual([['y', 3]]);
    expect(reply.headers).toMatchObject({
      [Header.Device]: 'a,b',
      [Header.Mode]: Mode.Pp,
      [Header.ExecMs]: '3.000',
      [Header.QueueMs]: '0.500',
      [Header.RequestId]: 'r-9',
    });
  });
});
