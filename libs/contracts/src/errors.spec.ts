import { EparaError, retryAfterSeconds } from './errors';

describe(retryAfterSeconds.name, () => {
  it.each([
    [EparaError.shed('busy', { queued: 3, retryAfterMs: 40 }), 1], // HTTP counts whole seconds, at least 1
    [EparaError.shed('busy', { retryAfterMs: 2_500 }), 3],
    [EparaError.shed('busy', { retryAfterMs: 0 }), 1],
    [EparaError.shed('busy'), undefined], // the refusing side could not say
    [EparaError.shed('busy', { retryAfterMs: 'soon' }), undefined],
    [EparaError.deadline('late', { retryAfterMs: 40 }), undefined], // only a 429 asks for a retry later
  ])('%s → %s', (err, seconds) => {
    expect(retryAfterSeconds(err)).toBe(seconds);
  });
});
