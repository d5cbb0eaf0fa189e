import { Bucket, FunctionRecord } from '@epara/contracts';
import { KvBucket, ReadableKvBucket } from './kv-bucket';
import { KvRepository } from './kv-repository';
import { ReadonlyKvRepository } from './readonly-repository';

/** Function records in KV `epara_functions`, one key per function name. */
export class FunctionRepository extends KvRepository<FunctionRecord> {
  constructor(kv: KvBucket) {
    super(kv, Bucket.Functions);
  }
}

/** Function records for readers that must not write them (the CLI, dashboards). */
export class FunctionReader extends ReadonlyKvRepository<FunctionRecord> {
  constructor(kv: ReadableKvBucket) {
    super(kv, Bucket.Functions);
  }
}
