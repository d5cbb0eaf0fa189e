import {
  AccessNeed,
  apiKeyId,
  ApiScope,
  formatApiKey,
  functionMatches,
  parseScope,
  parseTtl,
  presentedApiKey,
  scopesGrant,
} from './api-keys';
import { CreateApiKeyDto, createApiKeyRequest } from './dto/create-api-key.dto';
import { EparaError } from './errors';
import { validateDto } from './validate';

describe(scopesGrant.name, () => {
  const admin: AccessNeed = { scope: 'admin' };
  const read: AccessNeed = { scope: 'read' };
  const invokeCam: AccessNeed = { scope: 'invoke', function: 'cam-1' };
  const invokeMic: AccessNeed = { scope: 'invoke', function: 'mic-1' };
  const invokeAny: AccessNeed = { scope: 'invoke' };

  it.each<[ApiScope[], AccessNeed, boolean]>([
    [['admin'], admin, true],
    [['admin'], read, true],
    [['admin'], invokeMic, true],
    [['read'], read, true],
    [['read'], admin, false],
    [['read'], invokeCam, false],
    [['invoke'], invokeCam, true],
    [['invoke'], read, false],
    [['invoke'], admin, false],
    [['invoke:cam-*'], invokeCam, true],
    [['invoke:cam-*'], invokeMic, false],
    [['invoke:cam-*'], invokeAny, true], // a route naming no function narrows it itself
    [['invoke:cam-*'], read, false],
    [['read', 'invoke:mic-1'], invokeMic, true],
    [['read', 'invoke:mic-1'], invokeCam, false],
    [[], read, false],
  ])('%j for %j → %s', (held, need, granted) => {
    expect(scopesGrant(held, need)).toBe(granted);
  });
});

describe(functionMatches.name, () => {
  it.each([
    ['cam-*', 'cam-1', true],
    ['cam-*', 'cam-', true],
    ['cam-*', 'xcam-1', false],
    ['*-det', 'ocr-det', true],
    ['*', 'anything', true],
    ['vad', 'vad', true],
    ['vad', 'vad2', false],
    ['a*b*c', 'a-x-b-y-c', true],
  ])('%s vs %s → %s', (pattern, fn, matches) => {
    expect(functionMatches(pattern, fn)).toBe(matches);
  });
});

describe(parseScope.name, () => {
  it.each(['admin', 'read', 'invoke', 'invoke:cam-*', ' invoke:ocr-det '])('accepts %p', (s) => {
    expect(parseScope(s)).toBe(s.trim());
  });
  it.each(['write', 'Admin', 'invoke:', 'invoke:Cam', 'invoke:a.b', 'read:x', ''])('refuses %p with a 400 naming the forms', (s) => {
    expect(() => parseScope(s)).toThrow(EparaError);
    expect(() => parseScope(s)).toThrow(/not one of admin, read, invoke, invoke:<pattern>/);
  });
});

describe(parseTtl.name, () => {
  it.each<[unknown, number]>([
    [3600, 3_600_000],
    ['3600', 3_600_000],
    ['90d', 90 * 86_400_000],
    ['12h', 12 * 3_600_000],
    ['30m', 1_800_000],
    ['1s', 1_000],
  ])('%p → %d ms', (raw, ms) => {
    expect(parseTtl(raw)).toBe(ms);
  });
  it.each<unknown>([0, -5, '5x', '', '4000d', null, {}])('refuses %p', (raw) => {
    expect(() => parseTtl(raw)).toThrow(/not a duration/);
  });
});

describe(CreateApiKeyDto.name, () => {
  const parse = (body: unknown) => createApiKeyRequest(validateDto(CreateApiKeyDto, body, 'key request'));

  it('parses name, scopes (deduplicated) and ttl', () => {
    expect(parse({ name: 'camera fleet', scopes: ['invoke:cam-*', 'read', 'read'], ttl: '1d' })).toEqual({
      name: 'camera fleet',
      scopes: ['invoke:cam-*', 'read'],
      ttlMs: 86_400_000,
    });
    expect(parse({ name: 'ops', scopes: ['admin'] })).toEqual({ name: 'ops', scopes: ['admin'] });
  });
  it.each<[unknown, RegExp]>([
    [[], /must be a JSON object/],
    [{ name: 'x', scopes: ['read'], role: 'admin' }, /unknown field role: allowed fields are name, scopes, ttl/],
    [{ scopes: ['read'] }, /name must be/],
    [{ name: 'x', scopes: [] }, /scopes must be a non-empty array/],
    [{ name: 'x', scopes: 'read' }, /scopes must be a non-empty array/],
    [{ name: 'x', scopes: ['root'] }, /scope "root" is not one of/],
    [{ name: 'x', scopes: ['read'], ttl: '5x' }, /ttl "5x" is not a duration/],
  ])('refuses %j: %s', (body, message) => {
    expect(() => parse(body)).toThrow(message);
  });
});

describe('key format', () => {
  const secret = 'A'.repeat(42) + '_';
  it('carries its public id', () => {
    expect(apiKeyId(formatApiKey('0a1b2c3d', secret))).toBe('0a1b2c3d');
  });
  it.each(['epk_0a1b2c3d_short', 'epk_0A1B2C3D_' + secret, 'xyz_0a1b2c3d_' + secret, 'some operator-chosen admin key'])(
    '%p has no id',
    (key) => {
      expect(apiKeyId(key)).toBeUndefined();
    },
  );
});

describe(presentedApiKey.name, () => {
  it.each<[Record<string, string | string[]>, string | undefined]>([
    [{ authorization: 'Bearer epk_x' }, 'epk_x'],
    [{ authorization: 'bearer   epk_x ' }, 'epk_x'],
    [{ 'x-api-key': 'epk_y' }, 'epk_y'],
    [{ authorization: 'Bearer epk_x', 'x-api-key': 'epk_y' }, 'epk_x'],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, undefined], // not a bearer token: no key
    [{ 'x-api-key': '  ' }, undefined],
    [{}, undefined],
  ])('%j → %p', (headers, key) => {
    expect(presentedApiKey(headers)).toBe(key);
  });
});
