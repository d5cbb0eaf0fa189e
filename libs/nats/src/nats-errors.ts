import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';

/** What went wrong in a NATS call, as far as Epara's callers decide anything by it. */
export const NatsFailure = {
  /** Nobody subscribes to the subject (the server answered 503): nothing ran, a retry elsewhere is safe. */
  NoResponders: 'no-responders',
  /** No reply (or no connection) within the time allowed. */
  Timeout: 'timeout',
  ConnectionRefused: 'connection-refused',
  HostNotFound: 'host-not-found',
  /** The connection is closed or draining. */
  Closed: 'closed',
  PermissionDenied: 'permission-denied',
  BadSubject: 'bad-subject',
  /** The server (or the account) has no JetStream. */
  JetStreamNotEnabled: 'jetstream-not-enabled',
  /** JetStream answered 404: no such stream, consumer or message. */
  NotFound: 'not-found',
  /** A KV write found the key at another revision (JetStream's "wrong last sequence"). */
  RevisionConflict: 'revision-conflict',
  Other: 'other',
} as const;
export type NatsFailure = (typeof NatsFailure)[keyof typeof NatsFailure];

const errorCode = (e: unknown): unknown => (e as { code?: unknown } | undefined)?.code;

/**
 * The one place that reads nats.js errors. nats.js 3 throws a class per failure where nats 2 set a
 * string `code` ('503', 'TIMEOUT', …): a request that found no responders rejects with a `RequestError`
 * whose `cause` is the `NoRespondersError`, a timeout with a bare `TimeoutError`, a JetStream API error
 * with a `JetStreamApiError` carrying the server's `err_code`.
 */
export function classifyNatsError(e: unknown): NatsFailure {
  if (e instanceof errors.NoRespondersError) return NatsFailure.NoResponders;
  if (e instanceof errors.TimeoutError) return NatsFailure.Timeout;
  if (e instanceof errors.RequestError) {
    if (e.isNoResponders()) return NatsFailure.NoResponders;
    return e.cause !== undefined && e.cause !== e ? classifyNatsError(e.cause) : NatsFailure.Other;
  }
  if (e instanceof errors.ClosedConnectionError || e instanceof errors.DrainingConnectionError) return NatsFailure.Closed;
  if (e instanceof errors.PermissionViolationError) return NatsFailure.PermissionDenied;
  if (e instanceof errors.InvalidSubjectError) return NatsFailure.BadSubject;
  if (e instanceof JetStreamApiError) {
    if (e.code === JetStreamApiCodes.StreamWrongLastSequence || e.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
      return NatsFailure.RevisionConflict;
    if (e.code === JetStreamApiCodes.JetStreamNotEnabledForAccount) return NatsFailure.JetStreamNotEnabled;
    if (e.status === 404) return NatsFailure.NotFound;
    return NatsFailure.Other;
  }
  // Not in @nats-io/jetstream's public exports: known by its name. It wraps the no-responders of $JS.API.
  if (e instanceof Error && e.name === 'JetStreamNotEnabled') return NatsFailure.JetStreamNotEnabled;
  if (e instanceof errors.ConnectionError) {
    const cause = errorCode(e.cause);
    if (cause === 'ECONNREFUSED' || e.message === 'connection refused') return NatsFailure.ConnectionRefused;
    if (cause === 'ENOTFOUND' || cause === 'EAI_AGAIN') return NatsFailure.HostNotFound;
    return NatsFailure.Other;
  }
  // A socket error the transport passes on as it is (a host name that does not resolve).
  const code = errorCode(e);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return NatsFailure.HostNotFound;
  if (code === 'ECONNREFUSED') return NatsFailure.ConnectionRefused;
  return NatsFailure.Other;
}

/** NATS client errors parsed once, so callers ask questions instead of comparing classes. */
export const natsFailure = {
  isNoResponders: (e: unknown) => classifyNatsError(e) === NatsFailure.NoResponders,
  isTimeout: (e: unknown) => classifyNatsError(e) === NatsFailure.Timeout,
};

/**
 * The operator's sentence for a refusal by the server's authorization, naming the subject and who was
 * refused; undefined for any other error. `identity` is what connected (see natsConnectionSecurity).
 */
export function describeNatsRefusal(e: unknown, identity: string): string | undefined {
  // A request refused on publish rejects with a RequestError around the violation.
  if (e instanceof errors.RequestError && e.cause !== undefined && e.cause !== e) return describeNatsRefusal(e.cause, identity);
  if (e instanceof errors.PermissionViolationError) {
    const what = e.operation === 'publish' ? 'publish to' : 'subscribe to';
    const queue = e.queue ? ` (queue ${e.queue})` : '';
    // Epara's users get their replies under _INBOX_<user>: a client without that prefix is refused its inbox.
    const inboxHint = e.subject.startsWith('_INBOX.')
      ? "; replies go to the user's own inbox prefix: set NATS_INBOX_PREFIX (CLIs: --inbox-prefix) to _INBOX_<user>"
      : '';
    return `NATS refused ${what} "${e.subject}"${queue} for ${identity}: that user's permissions do not allow it (README, "NATS credentials")${inboxHint}`;
  }
  if (e instanceof errors.AuthorizationError || (e instanceof Error && /authorization violation/i.test(e.message))) {
    return `NATS refused the credentials (${identity}): authorization violation. Check NATS_CREDS, NATS_NKEY_SEED, NATS_USER/NATS_PASSWORD or NATS_TOKEN (or --creds, --nkey, --user/--password)`;
  }
  return undefined;
}

/** A hint for a connection that failed in the TLS handshake; undefined for other failures. */
export function tlsFailureHint(e: unknown, tlsOn: boolean): string | undefined {
  const text = `${(e as Error)?.message ?? ''} ${((e as Error)?.cause as Error | undefined)?.message ?? ''}`;
  if (!/certificate|self[- ]signed|TLS|SSL|handshake/i.test(text)) return undefined;
  return tlsOn
    ? "the server's certificate does not verify against NATS_TLS_CA (CLIs: --tlsca), or does not name the URL's host"
    : 'the server requires TLS: set NATS_TLS_CA to the CA that signed its certificate (CLIs: --tlsca; npm start: .epara/tls/ca.pem)';
}
