import { buildAdd } from '../synthetic';
import { readModelMetadata, withModelMetadata } from './model-metadata';

describe('model metadata', () => {
  it('writes key/value strings into a model and reads them back, replacing a key and keeping the others', () => {
    const first = withModelMetadata(buildAdd(), { character: 'a\nb', note: 'kept' });
    const second = withModelMetadata(first, { character: '你\n好' });

    expect(readModelMetadata(first)).toEqual({ character: 'a\nb', note: 'kept' });
    expect(readModelMetadata(second)).toEqual({ note: 'kept', character: '你\n好' });
    expect(readModelMetadata(buildAdd())).toEqual({});
  });
});
