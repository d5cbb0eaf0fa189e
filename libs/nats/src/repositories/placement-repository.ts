import { Bucket, DevicePlacement } from '@epara/contracts';
import { KvBucket } from './kv-bucket';
import { KvRepository } from './kv-repository';

/** Device placements in KV `epara_placement`, one key per device; the active scheduler is the only writer. */
export class PlacementRepository extends KvRepository<DevicePlacement> {
  constructor(kv: KvBucket) {
    super(kv, Bucket.Placement);
  }

  /** Stores the placement under its device. */
  save(p: DevicePlacement): Promise<number> {
    return this.put(p.device, p);
  }
}
