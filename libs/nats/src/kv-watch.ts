import { KvWatchEntry, KvWatchInclude, KvWatchOptions, RoKV } from '@nats-io/kv';

/** A KV watch started by `watchKv`: its entries, and how to stop it. */
export interface KvWatch {
  entries: AsyncIterable<KvWatchEntry>;
  stop(): void;
}

/**
 * `kv.watch` with a callback once it has caught up. nats.js 3 dropped the watch's `initializedFn`; its
 * entries say instead whether they are past the initial values (`isUpdate`, set on the last of them)
 * and how many messages are still pending (`delta`). A watch that starts on no values delivers nothing,
 * so whether any matching key has a value is asked once after the watch exists (a value written
 * meanwhile arrives as an update and marks the end just as well; delete markers alone count as none).
 * Otherwise `initialized` runs in the iteration, after the entry that completed the initial values was
 * handled, as `initializedFn` did.
 */
export async function watchKv(kv: RoKV, opts: KvWatchOptions, initialized: () => void): Promise<KvWatch> {
  const iter = await kv.watch(opts);
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    initialized();
  };
  if (opts.include === KvWatchInclude.UpdatesOnly) finish();
  else {
    const keys = await kv.keys(opts.key);
    let any = false;
    for await (const _key of keys) {
      any = true;
      break;
    }
    if (!any) finish();
  }
  async function* entries(): AsyncGenerator<KvWatchEntry> {
    for await (const e of iter) {
      yield e;
      if (e.isUpdate || e.delta === 0) finish();
    }
  }
  return { entries: entries(), stop: () => iter.stop() };
}
