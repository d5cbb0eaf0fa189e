import { decodeJson, JsonDecodeError } from '../codec/json-codec';
import { ReadableKvBucket } from './kv-bucket';

/** A value with the revision it was read at: what a compare-and-set writes against. */
export interface Revisioned<T> {
  value: T;
  revision: number;
}

/** What readers of a bucket may do: read values, never write them. */
export interface ReadonlyRepository<T> {
  /** The key's value; undefined when it has none (never written, or deleted). */
  get(key: string): Promise<T | undefined>;
  keys(): Promise<string[]>;
  /** Every value that reads as JSON; a value that does not is not one of Epara's and is left out. */
  all(): Promise<T[]>;
}

/** Typed reads of one KV bucket of JSON values. */
export class ReadonlyKvRepository<T> implements ReadonlyRepository<T> {
  constructor(
    protected readonly kv: ReadableKvBucket,
    /** The bucket's name, for messages (`KV <bucket>/<key> is not valid JSON`). */
    readonly bucket: string,
  ) {}

  async get(key: string): Promise<T | undefined> {
    return (await this.read(key))?.value;
  }

  /** The key's value and its revision; undefined when it has none. Throws when the value is not JSON. */
  async read(key: string): Promise<Revisioned<T> | undefined> {
    const e = await this.kv.get(key);
    if (!e || e.operation !== 'PUT') return undefined;
    return { value: decodeJson<T>(e.value, `KV ${this.bucket}/${key}`), revision: e.revision };
  }

  async keys(): Promise<string[]> {
    // Keys first, then values: reading values while the keys iterator is open loses keys.
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    return keys;
  }

  async all(): Promise<T[]> {
    const values: T[] = [];
    for (const key of await this.keys()) {
      const value = await this.get(key).catch((e) => {
        if (e instanceof JsonDecodeError) return undefined;
        throw e;
      });
      if (value !== undefined) values.push(value);
    }
    return values;
  }
}
