import { createHash } from 'node:crypto';

/** The hasher nats' object store asks `sha256.create()` for: `update` per chunk, then `digest()` as bytes. */
interface ChunkHasher {
  update(data: Uint8Array): ChunkHasher;
  digest(): number[];
}

interface JsSha256Module {
  sha256?: { create?: () => ChunkHasher; __eparaNative?: boolean };
}

/**
 * nats.js hashes every object-store chunk, on put and again on get, with a pure-JS SHA-256: about
 * 25 MB/s here, 5 s of blocked event loop for each pass over ISNet's 129 MB of cut tensors. This points
 * the object store at node's native SHA-256 (same bytes, ~650 MB/s). It replaces `create` on the
 * module object the object store calls at run time (nats 2.29, pinned); with another layout it leaves
 * the library alone and returns false. large-payloads.spec.ts checks the digests stay identical.
 */
export function useNativeObjectStoreDigest(): boolean {
  let mod: JsSha256Module;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a private module of nats, not in its typed exports
    mod = require('nats/lib/nats-base-client/js-sha256') as JsSha256Module;
  } catch {
    return false;
  }
  const sha256 = mod.sha256;
  if (!sha256 || typeof sha256.create !== 'function') return false;
  if (sha256.__eparaNative) return true;
  sha256.create = () => {
    const hash = createHash('sha256');
    const hasher: ChunkHasher = {
      update: (data) => {
        hash.update(data);
        return hasher;
      },
      digest: () => Array.from(hash.digest()),
    };
    return hasher;
  };
  sha256.__eparaNative = true;
  return true;
}
