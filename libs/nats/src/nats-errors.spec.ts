import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import { classifyNatsError, NatsFailure, natsFailure } from './nats-errors';

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
