import type { KV, KvEntry } from '@nats-io/kv';
import { LeaderLock } from './leader-lock';

/** A KV holding the lock key as `holder` wrote it at `revision`; writes fail as `failWrites` says. */
function fakeKv(state: { holder?: string; revision: number; failWrites: boolean }): KV {
  const write = async (value: Uint8Array) => {
    if (state.failWrites) throw new Error('wrong last sequence');
    state.holder = JSON.parse(new TextDecoder().decode(value)).id;
    return ++state.revision;
  };
  return {
    create: (_key: string, value: Uint8Array) => write(value),
    update: (_key: string, value: Uint8Array) => write(value),
    get: async () =>
      state.holder === undefined
        ? null
        : ({ operation: 'PUT', revision: state.revision, json: () => ({ id: state.holder }) } as unknown as KvEntry),
  } as unknown as KV;
}

describe('LeaderLock', () => {
  it('keeps the lock when a refused refresh finds its own write there (an ack lost while the bucket leader moved)', async () => {
    const state = { holder: undefined as string | undefined, revision: 0, failWrites: false };
    const lock = new LeaderLock(fakeKv(state), 's1');
    expect(await lock.tick()).toBe(true);
    state.failWrites = true;
    state.revision = 7; // the retried write landed once, at a revision the holder never heard of
    expect(await lock.tick()).toBe(true);
    state.failWrites = false;
    expect(await lock.tick()).toBe(true);
    expect(state.revision).toBe(8);
  });

  it('stands by when the key holds another scheduler, and takes it back only once it is free', async () => {
    const state = { holder: 's2' as string | undefined, revision: 3, failWrites: true };
    const lock = new LeaderLock(fakeKv(state), 's1');
    expect(await lock.tick()).toBe(false);
    state.holder = undefined;
    state.failWrites = false;
    expect(await lock.tick()).toBe(true);
  });
});
