import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { classifyNatsError, describeNatsRefusal, NatsFailure, natsFailure, tlsFailureHint } from './nats-errors';

// The errors as nats.js 3 throws them (the shapes were read off a real server: a request nobody
// subscribes to, one nobody answers, a stale KV write, a missing stream, a server without JetStream).
const noResponders = () => new errors.RequestError("no responders: 'x'", { cause: new errors.NoRespondersError('x') });
const jsApi = (code: number, err_code: number, description: string) => new JetStreamApiError({ code, err_code, description });

describe('classifyNatsError', () => {
  it('reads a request that found no responders, whether wrapped in a RequestError or bare (requestMany)', () => {
    expect(classifyNatsError(noResponders())).toBe(NatsFailure.NoResponders);
    expect(classifyNatsError(new errors.NoRespondersError('x'))).toBe(NatsFailure.NoResponders);
    expect(natsFailure.isNoResponders(noResponders())).toBe(true);
    expect(natsFailure.isTimeout(noResponders())).toBe(false);
  });

  it('reads a timeout, bare or as the cause of a RequestError', () => {
    expect(classifyNatsError(new errors.TimeoutError())).toBe(NatsFailure.Timeout);
    expect(classifyNatsError(new errors.RequestError('timeout', { cause: new errors.TimeoutError() }))).toBe(NatsFailure.Timeout);
    expect(natsFailure.isTimeout(new errors.TimeoutError())).toBe(true);
  });

  it('reads JetStream API errors by their err_code and status', () => {
    expect(classifyNatsError(jsApi(400, JetStreamApiCodes.StreamWrongLastSequence, 'wrong last sequence: 3'))).toBe(
      NatsFailure.RevisionConflict,
    );
    expect(classifyNatsError(jsApi(404, JetStreamApiCodes.StreamNotFound, 'stream not found'))).toBe(NatsFailure.NotFound);
    expect(classifyNatsError(jsApi(500, 10077, 'insufficient resources'))).toBe(NatsFailure.Other);
  });

  it('reads a server without JetStream by the error name the jetstream package gives it', () => {
    const e = Object.assign(new Error('jetstream is not enabled', { cause: noResponders() }), { name: 'JetStreamNotEnabled' });
    expect(classifyNatsError(e)).toBe(NatsFailure.JetStreamNotEnabled);
  });

  it('reads connection failures', () => {
    const refused = new errors.ConnectionError('connection refused', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
    expect(classifyNatsError(refused)).toBe(NatsFailure.ConnectionRefused);
    expect(classifyNatsError(Object.assign(new Error('getaddrinfo ENOTFOUND nope'), { code: 'ENOTFOUND' }))).toBe(NatsFailure.HostNotFound);
    expect(classifyNatsError(new errors.ClosedConnectionError())).toBe(NatsFailure.Closed);
    expect(classifyNatsError(new errors.InvalidSubjectError('a b'))).toBe(NatsFailure.BadSubject);
  });

  it('leaves anything else as other', () => {
    expect(classifyNatsError(new Error('boom'))).toBe(NatsFailure.Other);
    expect(classifyNatsError(undefined)).toBe(NatsFailure.Other);
    expect(classifyNatsError(new errors.RequestError('cancelled'))).toBe(NatsFailure.Other);
  });
});

describe('describeNatsRefusal', () => {
  const violation = (text: string) => errors.PermissionViolationError.parse(text)!;

  it('names the subject and the user the server refused, also inside a RequestError', () => {
    const pub = violation('Permissions Violation for Publish to "$KV.epara_functions.mlp"');
    expect(describeNatsRefusal(pub, 'nkey UABC')).toMatch(/^NATS refused publish to "\$KV.epara_functions.mlp" for nkey UABC: /);
    expect(describeNatsRefusal(new errors.RequestError(pub.message, { cause: pub }), 'nkey UABC')).toContain('"$KV.epara_functions.mlp"');
  });

  it('points a client refused the default inbox at its inbox prefix', () => {
    const sub = violation('Permissions Violation for Subscription to "_INBOX.abc.*"');
    expect(describeNatsRefusal(sub, 'nkey UABC')).toMatch(/subscribe to "_INBOX.abc.\*".*NATS_INBOX_PREFIX/);
  });

  it('says which credential an authorization violation refused, and nothing for other errors', () => {
    expect(describeNatsRefusal(new errors.AuthorizationError('Authorization Violation'), 'user "ops"')).toMatch(
      /refused the credentials \(user "ops"\)/,
    );
    expect(describeNatsRefusal(new errors.TimeoutError(), 'anonymous')).toBeUndefined();
  });
});

describe('tlsFailureHint', () => {
  it('tells a client without a CA that the server wants TLS, and one with a CA what to check', () => {
    const e = new Error('unable to verify the first certificate');
    expect(tlsFailureHint(e, false)).toMatch(/requires TLS: set NATS_TLS_CA/);
    expect(tlsFailureHint(e, true)).toMatch(/does not verify against NATS_TLS_CA/);
    expect(tlsFailureHint(new Error('connection refused'), false)).toBeUndefined();
  });
});
