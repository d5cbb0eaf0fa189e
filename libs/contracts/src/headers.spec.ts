import { EparaError } from './errors';
import {
  clientRequestHeaders,
  parseDeadlineHeader,
  parsePriorityHeader,
  parseStageHeader,
  parseStreamIdHeader,
  requireStreamId,
} from './headers';

/** The 400's message for `parse(raw)`. */
function refusal(parse: (raw: string) => unknown, raw: string): string {
  try {
    parse(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(EparaError);
    expect((e as EparaError).code).toBe(400);
    return (e as EparaError).message;
  }
  throw new Error(`${JSON.stringify(raw)} was accepted`);
}

describe(parseDeadlineHeader.name, () => {
  it('reads epoch milliseconds; absent or empty is no deadline', () => {
    expect(parseDeadlineHeader('1780000000000')).toBe(1_780_000_000_000);
    expect(parseDeadlineHeader(' 1780000000000 ')).toBe(1_780_000_000_000);
    expect(parseDeadlineHeader(undefined)).toBeUndefined();
    expect(parseDeadlineHeader(null)).toBeUndefined();
    expect(parseDeadlineHeader('')).toBeUndefined();
  });

  it.each(['soon', '12abc', 'NaN', '0', '-5', '1.5e12', '1780000000000.5', '0x1f', 'Infinity'])('%j → 400 naming the header', (raw) => {
    expect(refusal(parseDeadlineHeader, raw)).toBe(
      `Epara-Deadline must be an integer of at least 1 (epoch milliseconds, e.g. Date.now() + 500); got ${JSON.stringify(raw)}`,
    );
  });

  it('shortens a long value in the message', () => {
    expect(refusal(parseDeadlineHeader, 'x'.repeat(500))).toContain(`got "${'x'.repeat(64)}…"`);
  });
});

describe(parsePriorityHeader.name, () => {
  it('reads an integer', () => {
    expect(parsePriorityHeader('3')).toBe(3);
    expect(parsePriorityHeader('-1')).toBe(-1);
    expect(parsePriorityHeader(undefined)).toBeUndefined();
  });
  it.each(['high', '1.5', '99999999999'])('%j → 400', (raw) => {
    expect(refusal(parsePriorityHeader, raw)).toMatch(/^Epara-Priority must be an integer from -2147483648 to 2147483647; got /);
  });
});

describe(parseStageHeader.name, () => {
  it('reads a stage index, 0 when absent', () => {
    expect(parseStageHeader('1')).toBe(1);
    expect(parseStageHeader(undefined)).toBe(0);
  });
  it.each(['one', '-1', '1.0.0'])('%j → 400', (raw) => {
    expect(refusal(parseStageHeader, raw)).toMatch(/^Epara-Stage must be an integer from 0 to 1023; got /);
  });
});

describe(clientRequestHeaders.name, () => {
  it('parses the numeric headers by their names and leaves absent ones out', () => {
    const headers: Record<string, string> = { 'Epara-Deadline': '1780000000000', 'Epara-Priority': '2' };
    expect(clientRequestHeaders((n) => headers[n])).toEqual({ deadlineEpochMs: 1_780_000_000_000, priority: 2 });
    expect(clientRequestHeaders(() => undefined)).toEqual({});
    expect(() => clientRequestHeaders((n) => (n === 'Epara-Deadline' ? 'tomorrow' : undefined))).toThrow(/^Epara-Deadline must be/);
  });

  it('reads the stream id, and refuses a malformed one', () => {
    expect(clientRequestHeaders((n) => (n === 'Epara-Stream-Id' ? 'mic-7' : undefined))).toEqual({ streamId: 'mic-7' });
    expect(() => clientRequestHeaders((n) => (n === 'Epara-Stream-Id' ? 'a b' : undefined))).toThrow(/^Epara-Stream-Id must be/);
  });
});

describe(parseStreamIdHeader.name, () => {
  it.each(['mic-7', 'kitchen.mic_2', 'site:3:mic-1', 'A', '9', 'x'.repeat(128)])('accepts %s', (id) =>
    expect(parseStreamIdHeader(id)).toBe(id),
  );
  it('is undefined when absent or empty', () => {
    expect(parseStreamIdHeader(undefined)).toBeUndefined();
    expect(parseStreamIdHeader(null)).toBeUndefined();
    expect(parseStreamIdHeader('')).toBeUndefined();
  });
  it.each(['-mic', 'mic 7', 'mic/7', 'mic*', 'm>', ' mic', 'x'.repeat(129), 'mïc'])('refuses %j with a 400 naming the rule', (raw) =>
    expect(refusal(parseStreamIdHeader, raw)).toMatch(
      /^Epara-Stream-Id must be 1–128 characters of A-Z a-z 0-9 \. _ : - starting with a letter or digit; got /,
    ),
  );
  it('is required where a kind keeps stream state', () => {
    expect(refusal((raw) => requireStreamId(raw || undefined, 'vad'), '')).toBe(
      'function "vad" keeps state per stream: send the header Epara-Stream-Id (e.g. the microphone\'s id) with every frame',
    );
    expect(requireStreamId('mic-1', 'vad')).toBe('mic-1');
  });
});
