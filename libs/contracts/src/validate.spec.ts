import { DeployFunctionDto } from './dto/deploy-function.dto';
import { EparaError } from './errors';
import { validateDto } from './validate';

describe(validateDto.name, () => {
  const ok = { name: 'ocr', kind: 'text-detection', slo: { latencyMs: 100 } };

  it('accepts a minimal spec', () => {
    expect(validateDto(DeployFunctionDto, ok, 'spec').slo.latencyMs).toBe(100);
  });

  it.each([
    [{ ...ok, name: 'Bad Name' }, /name must be/],
    [{ ...ok, kind: 'video' }, /kind must be one of: tensor, text-detection/],
    [{ ...ok, slo: { latencyMs: -1 } }, /slo\.latencyMs/],
    [{ ...ok, slo: undefined }, /slo/],
    [{ ...ok, hints: { mode: 'warp' } }, /hints\.mode/],
    [{ ...ok, surprise: 1 }, /unknown field surprise: allowed fields are .*name, kind, slo/],
    [
      { ...ok, hints: { mode: 'batch', batch: 8 } },
      /unknown field hints\.batch: allowed fields are mode, sensitivity, footprint, maxBatchSize/,
    ],
    [{ ...ok, slo: { latencyMs: '100' } }, /slo\.latencyMs must be a number/],
    [{ ...ok, slo: 100 }, /^invalid spec: slo must be an object, e\.g\. \{"latencyMs": 100\}$/],
    [{ ...ok, hints: [] }, /hints must be an object/],
  ])('%o → 400 naming the field', (spec, message) => {
    let err: unknown;
    try {
      validateDto(DeployFunctionDto, spec, 'spec');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EparaError);
    expect((err as EparaError).code).toBe(400);
    expect((err as EparaError).message).toMatch(message);
  });

  it('names every bad field in one message, as the README shows', () => {
    const err = (() => {
      try {
        validateDto(DeployFunctionDto, { ...ok, slo: { latencyMs: '50' }, replicas: 2 }, 'spec');
      } catch (e) {
        return e as EparaError;
      }
    })();
    expect(err?.message).toBe(
      'invalid spec: unknown field replicas: allowed fields are name, kind, slo, model, models, description, hints, expected; slo.latencyMs must be a number of milliseconds',
    );
    expect((err?.details as { fields: { field: string }[] }).fields.map((f) => f.field)).toEqual(['replicas', 'slo.latencyMs']);
  });
});
