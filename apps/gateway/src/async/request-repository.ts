import { Bucket } from '@epara/contracts';
import { KvBucket, KvRepository } from '@epara/nats';
import type { AsyncRequestRecord } from './async.service';

/** Async request records in KV `epara_requests` (TTL 1 h), one key per request id; the gateway running it writes it. */
export class RequestRepository extends KvRepository<AsyncRequestRecord> {
  constructor(kv: KvBucket) {
    super(kv, Bucket.Requests);
  }

  /** Stores the record under its id. */
  save(r: AsyncRequestRecord): Promise<number> {
    return this.put(r.id, r);
  }
}
