import type { DevicePlacement, DeviceState, FunctionRecord } from '@epara/contracts';
import { servingPolicy } from '@epara/policy';
import { heartbeat, profile, record } from '../../test/scheduler-fixtures';
import { SchedulerLoop } from './scheduler-loop';
import type { Recategorization } from './scheduler-round';
import type { SchedulerPorts } from './types';

/** In-memory ports: what KV and the cluster state would hold, and what the loop said. */
function fakePorts(records: FunctionRecord[], opts: { leader?: boolean; casWins?: boolean } = {}) {
  let nowMs = 100_000;
  const store = new Map(records.map((r) => [r.name, r]));
  const placements = new Map<string, DevicePlacement>();
  const states = new Map<string, DeviceState>();
  const ages = new Map<string, number>();
  const said: string[] = [];
  const ports: SchedulerPorts = {
    functions: {
      all: () => [...store.values()],
      recategorize: async ({ record: r }: Recategorization) => {
        if (opts.casWins === false) return undefined;
        store.set(r.name, r);
        return r;
      },
    },
    placements: {
      all: () => [...placements.values()],
      put: async (p) => void placements.set(p.device, p),
      remove: async (d) => void placements.delete(d),
    },
    devices: {
      liveDevices: () => [...states.values()],
      ageMs: (d) => ages.get(d) ?? Infinity,
      forget: (d) => void (states.delete(d), said.push(`forget ${d}`)),
    },
    events: {
      placed: (p) => said.push(`placed ${p.device}`),
      recategorized: (fn, from, to) => said.push(`recategorized ${fn} ${from.mode}→${to.mode}`),
      deviceLost: (d) => said.push(`lost ${d}`),
    },
    leadership: { isLeader: opts.leader ?? true },
    clock: { nowMs: () => nowMs },
    log: { log: () => undefined, warn: (m) => said.push(`warn ${m}`), error: (m) => said.push(`error ${m}`) },
  };
  return {
    ports,
    store,
    placements,
    said,
    join(s: DeviceState) {
      states.set(s.device, s);
      ages.set(s.device, 0);
    },
    age(device: string, ms: number) {
      ages.set(device, ms);
    },
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

const CONFIG = { policy: servingPolicy('epara'), deviceLostMs: 3_500 };

describe(SchedulerLoop.name, () => {
  it('places work as soon as a new device reports, and says so', async () => {
    const f = fakePorts([record('a')]);
    const sut = new SchedulerLoop(f.ports, CONFIG);
    const hb = heartbeat('cpu-0');
    f.join(hb);
    sut.onHeartbeat(hb);
    await sut.settled();
    expect(f.placements.get('cpu-0')?.assignments.map((a) => a.fn)).toEqual(['a']);
    expect(f.said).toEqual(['placed cpu-0']);
    expect(sut.lastDecision).toMatchObject({ changes: 1 });
  });

  it('does nothing while another scheduler holds the lock', async () => {
    const f = fakePorts([record('a')], { leader: false });
    const sut = new SchedulerLoop(f.ports, CONFIG);
    f.join(heartbeat('cpu-0'));
    sut.trigger('period');
    await sut.settled();
    expect(f.placements.size).toBe(0);
  });

  it('announces a re-categorization only when its compare-and-set write won, and places either way', async () => {
    const hot = record('hot', { profiles: { 'cpu-t1': profile({ '1': 2, '8': 6, '32': 16 }) } });
    for (const casWins of [true, false]) {
      const f = fakePorts([hot], { casWins });
      const sut = new SchedulerLoop(f.ports, CONFIG);
      f.join(heartbeat('cpu-0'));
      sut.onHeartbeat(heartbeat('cpu-0', [{ fn: 'hot', received: 0 }]));
      f.advance(10_000);
      sut.onHeartbeat(heartbeat('cpu-0', [{ fn: 'hot', received: 8_000 }]));
      sut.trigger('period');
      await sut.settled();
      expect(f.said.filter((s) => s.startsWith('recategorized'))).toEqual(casWins ? ['recategorized hot dp→batch'] : []);
      expect(f.placements.get('cpu-0')?.assignments.map((a) => a.fn)).toEqual(['hot']);
    }
  });

  it('declares a silent device lost: forgets it, announces it, warns the operator and re-places', async () => {
    const f = fakePorts([record('a')]);
    const sut = new SchedulerLoop(f.ports, CONFIG);
    for (const d of ['cpu-0', 'cpu-1']) {
      f.join(heartbeat(d));
      sut.onHeartbeat(heartbeat(d));
    }
    await sut.settled();
    f.said.length = 0;
    f.age('cpu-1', 4_000);
    sut.checkLostDevices();
    await sut.settled();
    expect(f.said.slice(0, 3)).toEqual([
      'forget cpu-1',
      'lost cpu-1',
      expect.stringMatching(/^warn device cpu-1 lost \(no heartbeat for 3500 ms\)/),
    ]);
    expect([...f.placements.keys()]).toEqual(['cpu-0']);
    sut.checkLostDevices();
    expect(f.said.filter((s) => s === 'lost cpu-1')).toHaveLength(1);
  });

  /** Two devices placed with a 60 s rejoin window, then cpu-1 lost; returns its key as it was. */
  async function loseOneOfTwo() {
    const f = fakePorts([record('a')]);
    const sut = new SchedulerLoop(f.ports, { ...CONFIG, deviceRejoinMs: 60_000 });
    for (const d of ['cpu-0', 'cpu-1']) {
      f.join(heartbeat(d));
      sut.onHeartbeat(heartbeat(d));
    }
    await sut.settled();
    const kept = f.placements.get('cpu-1');
    f.age('cpu-1', 4_000);
    sut.checkLostDevices();
    await sut.settled();
    return { f, sut, kept };
  }

  it('keeps a lost device’s key for its return within the rejoin window: it serves again on its first heartbeat, with no write', async () => {
    const { f, sut, kept } = await loseOneOfTwo();
    expect(f.said.find((s) => s.startsWith('warn device cpu-1 lost'))).toMatch(/its assignments wait 60 s for its return/);
    expect(f.placements.get('cpu-1')).toBe(kept);
    // Back within the window: the round it triggers finds the key as it would write it.
    f.said.length = 0;
    f.advance(10_000);
    f.join(heartbeat('cpu-1'));
    sut.onHeartbeat(heartbeat('cpu-1'));
    await sut.settled();
    expect(f.placements.get('cpu-1')).toBe(kept);
    expect(f.said.filter((s) => s.startsWith('placed'))).toEqual([]);
  });

  it('removes a lost device’s key once the rejoin window has passed', async () => {
    const { f, sut } = await loseOneOfTwo();
    expect([...f.placements.keys()].sort()).toEqual(['cpu-0', 'cpu-1']);
    f.advance(60_000);
    sut.trigger('period');
    await sut.settled();
    expect([...f.placements.keys()]).toEqual(['cpu-0']);
  });

  it('folds triggers that arrive while a round is pending into that round', async () => {
    const f = fakePorts([record('a')]);
    let rounds = 0;
    const all = f.ports.functions.all;
    f.ports.functions.all = () => (rounds++, all());
    const sut = new SchedulerLoop(f.ports, CONFIG);
    f.join(heartbeat('cpu-0'));
    sut.trigger('one');
    sut.trigger('two');
    sut.trigger('three');
    await sut.settled();
    expect(rounds).toBe(1);
  });
});
