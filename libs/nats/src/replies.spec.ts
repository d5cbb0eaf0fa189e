import { EparaError, Header } from '@epara/contracts';
import { errorHeaders } from './replies';

describe(errorHeaders.name, () => {
  it('names the code and message the NATS services way, and says when to retry a shed request', () => {
    const h = errorHeaders(EparaError.shed('"f" is overloaded here', { queued: 9, retryAfterMs: 1_200 }), 'req-1');
    expect(h.get(Header.ServiceErrorCode)).toBe('429');
    expect(h.get(Header.ServiceError)).toBe('"f" is overloaded here');
    expect(h.get(Header.RequestId)).toBe('req-1');
    expect(h.get(Header.RetryAfter)).toBe('2');
  });

  it('sends no Retry-After with errors that are not a shed request', () => {
    expect(errorHeaders(EparaError.deadline('late')).has(Header.RetryAfter)).toBe(false);
  });
});
