import { Logger } from '@nestjs/common';
import { KV } from '@nats-io/kv';
import { encodeJson } from '@epara/nats';

const LOCK_KEY = 'scheduler';

/**
 * One active scheduler at a time: the holder keeps the key `scheduler` of the TTL'd bucket
 * `epara_leader` fresh; a standby takes it with a compare-and-set create once it has expired.
 */
export class LeaderLock {
  private readonly logger = new Logger(LeaderLock.name);
  private revision = 0;
  private leader = false;

  constructor(
    private readonly kv: KV,
    private readonly id: string,
  ) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /** Tries to take or keep the lock; returns whether this instance leads now. */
  async tick(): Promise<boolean> {
    const value = encodeJson({ id: this.id, at: Date.now() });
    try {
      if (this.leader) {
        this.revision = await this.kv.update(LOCK_KEY, value, this.revision);
      } else {
        this.revision = await this.kv.create(LOCK_KEY, value);
        this.logger.log(`${this.id} is now the active scheduler`);
      }
      this.leader = true;
    } catch {
      if (await this.holdsLastWrite()) {
        if (!this.leader) this.logger.log(`${this.id} is now the active scheduler (its last write holds the lock)`);
        this.leader = true;
        return true;
      }
      if (this.leader) this.logger.warn(`${this.id} lost the scheduler lock; standing by`);
      this.leader = false;
    }
    return this.leader;
  }

  /**
   * After a refused write: whether the key still holds this instance's lock, adopting its revision. On a
   * JetStream cluster a write whose acknowledgement was lost while the bucket's leader moved (a server cut
   * off) is retried and refused with "wrong last sequence", although the first attempt landed; without this
   * the holder would stand by until its own write expired, again at every leader move.
   */
  private async holdsLastWrite(): Promise<boolean> {
    try {
      const entry = await this.kv.get(LOCK_KEY);
      if (entry?.operation !== 'PUT' || entry.json<{ id?: string }>().id !== this.id) return false;
      this.revision = entry.revision;
      return true;
    } catch {
      return false;
    }
  }

  async release(): Promise<void> {
    if (!this.leader) return;
    this.leader = false;
    await this.kv.delete(LOCK_KEY, { previousSeq: this.revision }).catch(() => undefined);
  }
}
