import { FUNCTION_KINDS, KIND_CAPABILITIES } from '@epara/contracts';
import { kindHandler } from './kind-registry';

describe('kindHandler', () => {
  it.each(FUNCTION_KINDS)('%s answers canSplit from the contracts capabilities', (kind) => {
    const sut = kindHandler(kind);

    expect(sut.canSplit).toBe(KIND_CAPABILITIES[kind].canSplit);
  });
});
