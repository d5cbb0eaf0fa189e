import { encodeJson } from '../codec/json-codec';
import { InMemoryKvBucket } from './in-memory-kv-bucket';
import { CAS_ATTEMPTS, KvRepository } from './kv-repository';
import { CreateStatus, UpdateStatus } from './update-outcome';

interface Counter {
  name: string;
  n: number;
  note?: string;
}

describe('KvRepository', () => {
  let kv: InMemoryKvBucket;
  let sut: KvRepository<Counter>;

  beforeEach(() => {
    kv = new InMemoryKvBucket();
    sut = new KvRepository<Counter>(kv, 'test_bucket');
  });

  describe('update (compare-and-set)', () => {
    it('writes the mutation against the revision it read', async () => {
      await sut.put('a', { name: 'a', n: 1 });
      const outcome = await sut.update('a', (c) => ({ ...c, n: c.n + 1 }));
      expect(outcome).toEqual({ status: UpdateStatus.Updated, value: { name: 'a', n: 2 }, revision: 2 });
      expect(await sut.get('a')).toEqual({ name: 'a', n: 2 });
      expect(kv.updates).toBe(1);
    });

    it("re-reads and re-applies the mutation after losing a race, keeping the other writer's change", async () => {
      await sut.put('a', { name: 'a', n: 1 });
      let raced = false;
      kv.beforeUpdate = (key) => {
        if (raced) return;
        raced = true;
        kv.write(key, encodeJson({ name: 'a', n: 1, note: 'other writer' }));
      };
      const seen: Counter[] = [];
      const outcome = await sut.update('a', (c) => {
        seen.push({ ...c });
        return { ...c, n: c.n + 10 };
      });
      expect(outcome.status).toBe(UpdateStatus.Updated);
      expect(seen).toEqual([
        { name: 'a', n: 1 },
        { name: 'a', n: 1, note: 'other writer' },
      ]);
      expect(await sut.get('a')).toEqual({ name: 'a', n: 11, note: 'other writer' });
      expect(kv.updates).toBe(2);
    });

    it("reports a conflict after CAS_ATTEMPTS lost races, leaving the other writer's value", async () => {
      await sut.put('a', { name: 'a', n: 1 });
      kv.beforeUpdate = (key) => kv.write(key, encodeJson({ name: 'a', n: -1 }));
      const outcome = await sut.update('a', (c) => ({ ...c, n: c.n + 1 }));
      expect(outcome).toEqual({ status: UpdateStatus.Conflict, attempts: CAS_ATTEMPTS });
      expect(kv.updates).toBe(CAS_ATTEMPTS);
      expect(await sut.get('a')).toEqual({ name: 'a', n: -1 });
    });

    it('reports a missing key without calling the mutation, for a key never written or deleted', async () => {
      const mutate = jest.fn((c: Counter) => c);
      expect(await sut.update('nope', mutate)).toEqual({ status: UpdateStatus.Missing });
      await sut.put('gone', { name: 'gone', n: 1 });
      await sut.delete('gone');
      expect(await sut.update('gone', mutate)).toEqual({ status: UpdateStatus.Missing });
      expect(mutate).not.toHaveBeenCalled();
    });

    it('reports a key deleted during the race as missing', async () => {
      await sut.put('a', { name: 'a', n: 1 });
      kv.beforeUpdate = (key) => kv.write(key, new Uint8Array(), 'DEL');
      expect(await sut.update('a', (c) => ({ ...c, n: 2 }))).toEqual({ status: UpdateStatus.Missing });
    });

    it('writes nothing when the mutation returns undefined', async () => {
      const revision = await sut.put('a', { name: 'a', n: 1 });
      const outcome = await sut.update('a', () => undefined);
      expect(outcome).toEqual({ status: UpdateStatus.Unchanged, value: { name: 'a', n: 1 }, revision });
      expect(kv.updates).toBe(0);
    });

    it('passes on errors that are not revision conflicts', async () => {
      await sut.put('a', { name: 'a', n: 1 });
      kv.beforeUpdate = () => {
        throw new Error('TIMEOUT');
      };
      await expect(sut.update('a', (c) => c)).rejects.toThrow('TIMEOUT');
    });
  });

  it('creates a key only once', async () => {
    expect(await sut.create('a', { name: 'a', n: 1 })).toEqual({ status: CreateStatus.Created, revision: 1 });
    expect(await sut.create('a', { name: 'a', n: 2 })).toEqual({ status: CreateStatus.Exists });
    expect(await sut.get('a')).toEqual({ name: 'a', n: 1 });
  });

  it('lists every JSON value and leaves out the rest', async () => {
    await sut.put('a', { name: 'a', n: 1 });
    await sut.put('b', { name: 'b', n: 2 });
    kv.write('junk', Buffer.from('not json'));
    expect(await sut.keys()).toEqual(['a', 'b', 'junk']);
    expect(await sut.all()).toEqual([
      { name: 'a', n: 1 },
      { name: 'b', n: 2 },
    ]);
    await expect(sut.get('junk')).rejects.toThrow('KV test_bucket/junk is not valid JSON');
  });
});
