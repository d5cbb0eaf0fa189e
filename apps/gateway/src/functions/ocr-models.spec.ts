import type { ModelSignature } from '@epara/runtime';
import { checkOcrModel } from './ocr-models';

const t = (name: string, shape: (number | string)[]) => ({ name, datatype: 'FP32' as const, shape, batchAxis: 0 });
const sig = (input: (number | string)[], output: (number | string)[]): ModelSignature => ({
  inputs: [t('x', input)],
  outputs: [t('y', output)],
  batchable: true,
});

describe('checkOcrModel', () => {
  it('accepts the PP-OCR signatures in their roles', () => {
    expect(() => checkOcrModel('det', sig(['n', 3, 'h', 'w'], ['n', 1, 'h', 'w']), 'models.det')).not.toThrow();
    expect(() => checkOcrModel('cls', sig(['n', 3, 48, 192], ['n', 2]), 'models.cls')).not.toThrow();
    expect(() => checkOcrModel('rec', sig(['n', 3, 48, 'w'], ['n', 't', 6625]), 'models.rec', 6625)).not.toThrow();
  });

  it('refuses a model in the wrong role, naming the field and what it expected', () => {
    expect(() => checkOcrModel('cls', sig(['n', 3, 'h', 'w'], ['n', 1, 'h', 'w']), 'models.cls')).toThrow(
      /models.cls must be a PP-OCR line orientation classifier: .*; this model has inputs x FP32 \[n,3,h,w\]/,
    );
  });

  it('refuses a recognizer whose classes do not match its dictionary', () => {
    expect(() => checkOcrModel('rec', sig(['n', 3, 48, 'w'], ['n', 't', 97]), 'models.rec', 6625)).toThrow(
      'models.rec: the recognizer scores 97 classes, but its dictionary makes 6625 (blank + 6623 lines + space)',
    );
  });
});
