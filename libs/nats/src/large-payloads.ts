import { Logger } from '@nestjs/common';
import { headers as natsHeaders, Msg, MsgHdrs, NatsConnection, nuid, PublishOptions, RequestOptions } from '@nats-io/transport-node';
import { EparaError, ErrorCode, Header, ObjectBucket } from '@epara/contracts';

/**
 * Room left for headers when deciding whether a body travels inline: the server counts headers and
 * body together against `max_payload`, and Epara's headers stay far below this.
 */
export const PAYLOAD_HEADER_MARGIN = 16 * 1024;
/** Objects are written in chunks of this size (each chunk is one JetStream message). */
export const PAYLOAD_CHUNK_BYTES = 1024 * 1024;
/**
 * Time allowed to store a body, ms: 5 s plus 1 s per 4 MiB. Chunks are published all at once and each
 * waits for its ack, so the last ones wait for the server to write everything before them.
 */
const putTimeoutMs = (bytes: number) => 5_000 + Math.ceil(bytes / (4 * 1024 * 1024)) * 1_000;
/** How long a stored body is kept when nobody reads it (a timed-out request, a producer that left). */
export const PAYLOAD_MAX_AGE_MS = 10 * 60_000;

/** The object-store calls this helper uses; `ObjectStore` of @nats-io/obj has them (tests pass a map). */
export interface PayloadObjects {
  putBlob(
    meta: { name: string; options?: { max_chunk_size?: number } },
    data: Uint8Array | null,
    opts?: { timeout?: number },
  ): Promise<unknown>;
  getBlob(name: string): Promise<Uint8Array | null>;
  delete(name: string): Promise<unknown>;
}

/** A message as far as reading its body goes. */
export type Carrier = Pick<Msg, 'data' | 'headers'>;

/**
 * Message bodies larger than the connection's max payload: the sender stores the body in the JetStream
 * object store `epara_payloads` under a unique key and sends an empty message with
 * `Epara-Payload-Ref: epara_payloads/<key>`; the receiver reads the object and deletes it. Objects nobody
 * reads expire with the bucket's max age. Every Epara sender and receiver of request/reply bodies goes
 * through here, so any hop (gateway → worker, worker → gateway, stage to stage) may carry any size.
 */
export class LargePayloads {
  private readonly logger = new Logger(LargePayloads.name);

  constructor(
    /** The connection's current max payload, bytes (`nc.info.max_payload`). */
    private readonly maxPayload: () => number,
    private readonly objects: () => Promise<PayloadObjects>,
    private readonly bucket: string = ObjectBucket.Payloads,
  ) {}

  /** Largest body sent inline; anything larger goes through the object store. */
  get inlineLimit(): number {
    return Math.max(0, this.maxPayload() - PAYLOAD_HEADER_MARGIN);
  }

  /**
   * The body to put on the wire: `body` itself when it fits, else an empty body after the bytes were
   * stored, with `Epara-Payload-Ref` set on `h` (replacing a ref from an earlier try with the same
   * headers). Returns the stored key too, to delete when the send fails.
   */
  async offload(body: Uint8Array, h: MsgHdrs): Promise<{ data: Uint8Array; key?: string }> {
    if (body.byteLength <= this.inlineLimit) return { data: body };
    const key = nuid.next();
    const store = await this.objects();
    try {
      await store.putBlob({ name: key, options: { max_chunk_size: Math.min(PAYLOAD_CHUNK_BYTES, this.inlineLimit) } }, body, {
        timeout: putTimeoutMs(body.byteLength),
      });
    } catch (e) {
      throw new EparaError(
        503,
        `a ${body.byteLength}-byte body is over the NATS max payload (${this.maxPayload()} bytes) and could not be stored in object store ${this.bucket}: ${(e as Error).message}`,
        undefined,
        { cause: e },
      );
    }
    h.set(Header.PayloadRef, `${this.bucket}/${key}`);
    return { data: new Uint8Array(0), key };
  }

  /**
   * The body of a received message: its data, or the object its `Epara-Payload-Ref` names, which is
   * deleted once read (each body has one receiver). `missingCode` is what a vanished object means to
   * this receiver: a request it cannot serve (400) or a reply it cannot pass on (500).
   */
  async body(msg: Carrier, missingCode: ErrorCode = 400): Promise<Uint8Array> {
    const ref = msg.headers?.get(Header.PayloadRef);
    if (!ref) return msg.data;
    const slash = ref.indexOf('/');
    const bucket = ref.slice(0, slash);
    const key = ref.slice(slash + 1);
    if (slash <= 0 || !key) throw new EparaError(missingCode, `${Header.PayloadRef} "${ref}" is not <bucket>/<key>`);
    if (bucket !== this.bucket)
      throw new EparaError(
        missingCode,
        `${Header.PayloadRef} "${ref}" names object store "${bucket}"; Epara reads message bodies from "${this.bucket}" only`,
      );
    const store = await this.objects();
    const data = await store.getBlob(key);
    if (!data) {
      throw new EparaError(
        missingCode,
        `the message body stored as ${ref} is gone: it was already read, or it expired (bodies over the NATS max payload are kept ${PAYLOAD_MAX_AGE_MS / 60_000} min)`,
        { ref },
      );
    }
    await store
      .delete(key)
      .catch((e) => this.logger.warn(`could not delete ${ref} after reading it (the bucket's max age will): ${(e as Error).message}`));
    return data;
  }

  /** Deletes a stored body that will not be read (its request failed before anyone took it). */
  async discard(key: string | undefined): Promise<void> {
    if (!key) return;
    const store = await this.objects();
    await store.delete(key).catch(() => undefined);
  }

  /**
   * Request/reply with bodies of any size both ways: returns the reply and its resolved body. A stored
   * request body is deleted when the request fails (a receiver that got it has deleted it already).
   */
  async request(
    nc: NatsConnection,
    subject: string,
    body: Uint8Array,
    opts: Partial<RequestOptions> & { timeout: number; headers?: MsgHdrs },
  ): Promise<{ msg: Msg; body: Uint8Array }> {
    const h = opts.headers ?? natsHeaders();
    const { data, key } = await this.offload(body, h);
    let msg: Msg;
    try {
      msg = await nc.request(subject, data, { ...opts, headers: h });
    } catch (e) {
      await this.discard(key);
      throw e;
    }
    return { msg, body: await this.body(msg, 500) };
  }

  /** Publishes a body of any size (a forwarded request whose reply goes elsewhere). */
  async publish(nc: NatsConnection, subject: string, body: Uint8Array, opts: Partial<PublishOptions> = {}): Promise<void> {
    const h = opts.headers ?? natsHeaders();
    const { data, key } = await this.offload(body, h);
    try {
      nc.publish(subject, data, { ...opts, headers: h });
    } catch (e) {
      await this.discard(key);
      throw e;
    }
  }

  /** Answers a request with a body of any size. No-op without a reply subject. */
  async respond(msg: Msg, body: Uint8Array, h: MsgHdrs): Promise<void> {
    if (!msg.reply) return;
    const { data, key } = await this.offload(body, h);
    if (!msg.respond(data, { headers: h })) await this.discard(key);
  }
}
