import { EparaError, Header, MediaType, Mode, StageInfo, Tensor } from '@epara/contracts';
import { PipelinePlan } from './pipeline-plan';

function spec(name: string) {
  return { name, datatype: 'FP32' as const, shape: [1, 4], batchAxis: 0 };
}

function stage(index: number, inputs: string[], outputs: string[]): StageInfo {
  return { index, sha256: `stage-${index}`, sizeBytes: 1, inputs: inputs.map(spec), outputs: outputs.map(spec), batchable: true };
}

function tensor(name: string, value = 0): Tensor {
  return { name, datatype: 'FP32', shape: [1, 1], data: new Float32Array([value]) };
}

/** x → stage 0 → (h, side0) → stage 1 reads h and x → (y, side1). */
const record = {
  name: 'net',
  model: { outputs: [{ name: 'y' }], stages: [stage(0, ['x'], ['h', 'side0']), stage(1, ['h', 'x'], ['y', 'side1'])] },
};

describe('PipelinePlan', () => {
  it('lists the stages in order with their unit keys', () => {
    const sut = PipelinePlan.of(record);

    expect(sut.stages.map((s) => [s.index, s.unit])).toEqual([
      [0, 'net#0'],
      [1, 'net#1'],
    ]);
  });

  it("plans a kind's own stages by what they carry, not by their models' tensors (ocr)", () => {
    const own = (index: number, model: [string[], string[]], carries: [string[], string[]]): StageInfo => ({
      ...stage(index, ...model),
      carries: { inputs: carries[0].map(spec), outputs: carries[1].map(spec) },
    });
    const sut = PipelinePlan.of(
      {
        name: 'ocr',
        model: {
          outputs: [],
          stages: [own(0, [['x'], ['map']], [['image'], ['crops', 'boxes']]), own(1, [['x'], ['probs']], [['crops', 'boxes'], []])],
        },
      },
      [],
    );

    expect(sut.stages.map((s) => [s.inputs.map((i) => i.name), s.returns])).toEqual([
      [['image'], ['crops', 'boxes']],
      [['crops', 'boxes'], []],
    ]);
  });

  it('asks each stage only for what a later stage reads or the caller wants', () => {
    const sut = PipelinePlan.of(record);

    expect(sut.stages.map((s) => s.returns)).toEqual([['h'], ['y']]);
  });

  it("asks for the caller's own outputs, even a side output", () => {
    const sut = PipelinePlan.of(record, ['side0', 'y']);

    expect(sut.wanted).toEqual(['side0', 'y']);
    expect(sut.stages.map((s) => s.returns)).toEqual([['h', 'side0'], ['y']]);
  });

  it('names the next stage, and none after the last', () => {
    const sut = PipelinePlan.of(record);

    expect(sut.stageAfter(-1)?.index).toBe(0);
    expect(sut.stageAfter(0)?.index).toBe(1);
    expect(sut.stageAfter(1)).toBeUndefined();
  });
});

describe('PipelineRun', () => {
  it('runs the chain: each stage gets its feeds (an early tensor included), the deadline travels, the reply is the wanted outputs', () => {
    const sut = PipelinePlan.of(record).start([tensor('x', 1)], 5_000, 'req-1');

    const first = sut.next()!;
    expect(first.stage.index).toBe(0);
    expect(first.feeds.map((t) => t.name)).toEqual(['x']);
    expect(first.headers).toEqual({
      [Header.ContentType]: MediaType.Msgpack,
      [Header.Accept]: MediaType.Msgpack,
      [Header.Deadline]: '5000',
      [Header.RequestId]: 'req-1',
      [Header.Stage]: '0',
    });
    sut.stageDone([tensor('h', 2)], { device: 'gpu-0', execMs: 1.5, queueMs: 0.25 });

    const second = sut.next()!;
    expect(second.stage.index).toBe(1);
    expect(second.feeds.map((t) => [t.name, t.data[0]])).toEqual([
      ['h', 2],
      ['x', 1],
    ]);
    expect(second.headers[Header.Deadline]).toBe('5000');
    expect(second.headers[Header.Stage]).toBe('1');
    sut.stageDone([tensor('y', 3)], { device: 'gpu-1', execMs: 2, queueMs: 1 });

    expect(sut.next()).toBeUndefined();
    const reply = sut.reply();
    expect(reply.outputs.map((t) => [t.name, t.data[0]])).toEqual([['y', 3]]);
    expect(reply.headers).toEqual({
      [Header.Device]: 'gpu-0,gpu-1',
      [Header.Mode]: Mode.Pp,
      [Header.BatchSize]: '1',
      [Header.ExecMs]: '3.500',
      [Header.QueueMs]: '1.250',
      [Header.RequestId]: 'req-1',
    });
  });

  it('answers 400 when a stage input is missing', () => {
    const sut = PipelinePlan.of(record).start([tensor('z')], 5_000, 'req-1');

    expect(() => sut.next()).toThrow(EparaError);
    expect(() => sut.next()).toThrow(/missing input "x": expected FP32 \[1,4\]/);
  });

  it('answers 500 when the chain did not produce a wanted output', () => {
    const sut = PipelinePlan.of(record).start([tensor('x')], 5_000, 'req-1');
    sut.next();
    sut.stageDone([tensor('h')], { device: 'a', execMs: 0, queueMs: 0 });
    sut.next();
    sut.stageDone([], { device: 'b', execMs: 0, queueMs: 0 });

    expect(() => sut.reply()).toThrow(/pipeline of "net" did not produce output "y"/);
  });
});
