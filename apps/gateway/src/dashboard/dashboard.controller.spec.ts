import { EparaError } from '@epara/contracts';
import { parseSince } from './dashboard.controller';

describe(parseSince.name, () => {
  it('reads epoch milliseconds, and everything kept when absent', () => {
    expect(parseSince('1764772800000')).toBe(1764772800000);
    expect(parseSince(undefined)).toBe(0);
    expect(parseSince('')).toBe(0);
  });

  it.each(['-1', '1.5', '1e3', 'now', '12345678901234567', ['1', '2']])('refuses %p with a 400 naming the parameter', (since) => {
    const refusal = (() => {
      try {
        parseSince(since);
      } catch (e) {
        return e;
      }
    })();

    expect(refusal).toBeInstanceOf(EparaError);
    expect(refusal).toMatchObject({ code: 400, message: expect.stringContaining('query parameter "since" must be epoch milliseconds') });
  });
});
