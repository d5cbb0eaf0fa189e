import { headers as natsHeaders } from '@nats-io/transport-node';
import { EparaError, Header, ObjectBucket } from '@epara/contracts';
import { LargePayloads, PAYLOAD_HEADER_MARGIN, PayloadObjects } from './large-payloads';

/** The object store as a map, recording chunk sizes asked for. */
class MapStore implements PayloadObjects {
  readonly objects = new Map<string, Uint8Array>();
  readonly chunkSizes: (number | undefined)[] = [];
  async putBlob(meta: { name: string; options?: { max_chunk_size?: number } }, data: Uint8Array | null): Promise<void> {
    this.chunkSizes.push(meta.options?.max_chunk_size);
    this.objects.set(meta.name, Uint8Array.from(data ?? []));
  }
  async getBlob(name: string): Promise<Uint8Array | null> {
    return this.objects.get(name) ?? null;
  }
  async delete(name: string): Promise<void> {
    this.objects.delete(name);
  }
}

const MAX_PAYLOAD = 64 * 1024;
const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31) & 0xff);

describe('LargePayloads', () => {
  let store: MapStore;
  let payloads: LargePayloads;
  beforeEach(() => {
    store = new MapStore();
    payloads = new LargePayloads(
      () => MAX_PAYLOAD,
      async () => store,
    );
  });

  it('sends a body within the max payload (minus the header margin) inline, without touching the store', async () => {
    const body = bytes(MAX_PAYLOAD - PAYLOAD_HEADER_MARGIN);
    const h = natsHeaders();
    const sent = await payloads.offload(body, h);
    expect(sent.data).toBe(body);
    expect(sent.key).toBeUndefined();
    expect(h.has(Header.PayloadRef)).toBe(false);
    expect(store.objects.size).toBe(0);
    expect(await payloads.body({ data: sent.data, headers: h })).toBe(body);
  });

  it('stores a larger body under a unique key, sends an empty message with the ref, and the receiver gets the bytes once', async () => {
    const body = bytes(MAX_PAYLOAD - PAYLOAD_HEADER_MARGIN + 1);
    const h = natsHeaders();
    const sent = await payloads.offload(body, h);
    expect(sent.data.byteLength).toBe(0);
    expect(h.get(Header.PayloadRef)).toBe(`${ObjectBucket.Payloads}/${sent.key}`);
    expect(store.objects.has(sent.key!)).toBe(true);
    // Chunks must fit a message themselves.
    expect(store.chunkSizes[0]).toBeLessThanOrEqual(MAX_PAYLOAD - PAYLOAD_HEADER_MARGIN);

    const other = natsHeaders();
    const second = await payloads.offload(body, other);
    expect(second.key).not.toBe(sent.key);

    const received = await payloads.body({ data: sent.data, headers: h });
    expect(Buffer.from(received).equals(Buffer.from(body))).toBe(true);
    // Read once: the receiver deleted it.
    expect(store.objects.has(sent.key!)).toBe(false);
  });

  it('a ref whose object is gone is a clear error with the code the receiver asked for', async () => {
    const h = natsHeaders();
    h.set(Header.PayloadRef, `${ObjectBucket.Payloads}/NOPE`);
    const request = payloads.body({ data: new Uint8Array(0), headers: h });
    await expect(request).rejects.toThrow(EparaError);
    await expect(request).rejects.toMatchObject({
      code: 400,
      message: expect.stringMatching(/epara_payloads\/NOPE is gone: it was already read, or it expired/),
    });
    await expect(payloads.body({ data: new Uint8Array(0), headers: h }, 500)).rejects.toMatchObject({ code: 500 });
  });

  it('refuses refs to other buckets and malformed refs', async () => {
    const h = natsHeaders();
    h.set(Header.PayloadRef, `${ObjectBucket.Models}/abc`);
    await expect(payloads.body({ data: new Uint8Array(0), headers: h })).rejects.toThrow(/reads message bodies from "epara_payloads" only/);
    h.set(Header.PayloadRef, 'no-slash');
    await expect(payloads.body({ data: new Uint8Array(0), headers: h })).rejects.toThrow(/is not <bucket>\/<key>/);
  });

  it('a retry with the same headers replaces the ref, and discard removes an unread body', async () => {
    const body = bytes(MAX_PAYLOAD);
    const h = natsHeaders();
    const first = await payloads.offload(body, h);
    await payloads.discard(first.key);
    const second = await payloads.offload(body, h);
    expect(h.get(Header.PayloadRef)).toBe(`${ObjectBucket.Payloads}/${second.key}`);
    expect([...store.objects.keys()]).toEqual([second.key]);
  });

  it('a store that cannot take the body is a 503 naming the size and the limit', async () => {
    const full: PayloadObjects = {
      putBlob: () => Promise.reject(new Error('insufficient resources')),
      getBlob: (n) => store.getBlob(n),
      delete: (n) => store.delete(n),
    };
    const failing = new LargePayloads(
      () => MAX_PAYLOAD,
      async () => full,
    );
    await expect(failing.offload(bytes(MAX_PAYLOAD), natsHeaders())).rejects.toMatchObject({
      code: 503,
      message: expect.stringMatching(/65536-byte body is over the NATS max payload \(65536 bytes\).*insufficient resources/),
    });
  });
});
