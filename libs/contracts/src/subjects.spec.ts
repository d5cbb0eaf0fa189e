import { EparaError } from './errors';
import { functionQueue, subjects, token } from './subjects';

describe(token.name, () => {
  it.each(['', 'a.b', 'a*', 'a>', 'has space', 'UPPER', '-lead'])('rejects %p with a 400 naming the rule', (bad) => {
    expect(() => token('function', bad)).toThrow(EparaError);
    expect(() => token('function', bad)).toThrow(/invalid function name/);
  });

  it('builds the public subjects', () => {
    expect(subjects.invoke('ocr-det')).toBe('epara.v1.invoke.ocr-det');
    expect(subjects.mode('batch', 'vad')).toBe('epara.v1.batch.vad');
    expect(subjects.device('dp', 'vad', 'cpu-0')).toBe('epara.v1.dp.vad.cpu-0');
    expect(subjects.state('cpu-1')).toBe('epara.v1.state.cpu-1');
    expect(subjects.event('deployed')).toBe('epara.v1.events.deployed');
    expect(functionQueue('vad')).toBe('epara.vad');
  });
});
