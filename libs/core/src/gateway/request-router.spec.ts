import { Mode, subjects } from '@epara/contracts';
import { chooseStickyReplica } from '@epara/policy';
import { STALE_AFTER_MS } from './replica-staleness';
import type { ReplicaViewPort, RoutableReplica } from './replica-view';
import { RequestRouter, RouterConfig } from './request-router';
import { routeSubject, RouteTarget } from './route';

/** A fresh, ready, idle replica on `device`; fields overridden per case. */
function replica(device: string, over: Partial<RoutableReplica> = {}): RoutableReplica {
  return {
    device,
    mode: Mode.Dp,
    ready: true,
    ageMs: 100,
    queued: 0,
    running: 0,
    localInflight: 0,
    execMsEwma: 1,
    fnQueued: 0,
    preferredBatchSize: 1,
    ...over,
  };
}

/** The replica view as a table: unit key → replicas. */
class FakeReplicaView implements ReplicaViewPort<string> {
  readonly units = new Map<string, RoutableReplica[]>();
  replicas(fn: string, stage?: number): readonly RoutableReplica[] {
    return this.units.get(stage === undefined ? fn : `${fn}#${stage}`) ?? [];
  }
  placedMode(fn: string, stage?: number): Mode | undefined {
    return this.replicas(fn, stage)[0]?.mode;
  }
}

const stateAware: RouterConfig['policy'] = { name: 'epara', routing: 'state-aware' };

function routerWith(replicas: Record<string, RoutableReplica[]>, policy = stateAware, random: () => number = () => 0) {
  const view = new FakeReplicaView();
  for (const [unit, list] of Object.entries(replicas)) view.units.set(unit, list);
  return new RequestRouter<string>(view, { policy, random });
}

describe('RequestRouter', () => {
  describe('route', () => {
    // random() = 0 samples the first two eligible replicas: the less loaded of them wins, ties to the first.
    const cases: { name: string; replicas: RoutableReplica[]; exclude?: string; target: RouteTarget; device?: string; reason?: RegExp }[] =
      [
        { name: 'no replica placed', replicas: [], target: RouteTarget.Unplaced },
        {
          name: 'the only eligible replica',
          replicas: [replica('a'), replica('b', { ready: false })],
          target: RouteTarget.Replica,
          device: 'a',
          reason: /only eligible/,
        },
        {
          name: 'the less loaded of two',
          replicas: [replica('a', { queued: 5 }), replica('b', { queued: 1 })],
          target: RouteTarget.Replica,
          device: 'b',
        },
        {
          name: "this gateway's in-flight count counts as load",
          replicas: [replica('a', { localInflight: 3 }), replica('b', { queued: 1 })],
          target: RouteTarget.Replica,
          device: 'b',
        },
        {
          name: 'a stale replica is skipped',
          replicas: [replica('a', { ageMs: STALE_AFTER_MS + 1 }), replica('b', { queued: 9 })],
          target: RouteTarget.Replica,
          device: 'b',
        },
        {
          name: 'a replica just at the staleness limit is still routable',
          replicas: [replica('a', { ageMs: STALE_AFTER_MS }), replica('b', { ready: false })],
          target: RouteTarget.Replica,
          device: 'a',
        },
        {
          name: 'none ready: the queue group decides',
          replicas: [replica('a', { ready: false }), replica('b', { ageMs: Infinity })],
          target: RouteTarget.QueueGroup,
          reason: /fallback to queue group: .*1 not ready, 1 stale/,
        },
        {
          name: 'an excluded device is not chosen',
          replicas: [replica('a'), replica('b', { queued: 4 })],
          exclude: 'a',
          target: RouteTarget.Replica,
          device: 'b',
        },
        {
          name: 'excluding the only replica falls back to the queue group',
          replicas: [replica('a')],
          exclude: 'a',
          target: RouteTarget.QueueGroup,
        },
      ];
    it.each(cases)('$name', ({ replicas, exclude, target, device, reason }) => {
      const sut = routerWith({ f: replicas });

      const route = sut.route('f', exclude);

      expect(route.target).toBe(target);
      expect(route.device).toBe(device);
      if (reason) expect(route.reason).toMatch(reason);
    });

    it('uses the batch window for a batch-mode function', () => {
      // Both idle; the batch window prefers the replica whose batch is already filling.
      const sut = routerWith({
        f: [replica('a', { mode: Mode.Batch }), replica('b', { mode: Mode.Batch, fnQueued: 2, preferredBatchSize: 8, queued: 2 })],
      });

      const route = sut.route('f');

      expect(route.device).toBe('b');
      expect(route.mode).toBe(Mode.Batch);
    });

    it('leaves the pick to the queue group under a queue-group policy, even with state', () => {
      const sut = routerWith({ f: [replica('a'), replica('b')] }, { name: 'naive', routing: 'queue-group' });

      const route = sut.route('f');

      expect(route.target).toBe(RouteTarget.QueueGroup);
      expect(route.reason).toBe('policy naive: the queue group picks');
      expect(routeSubject(route)).toBe(subjects.mode(Mode.Dp, 'f'));
    });

    it('sends a pipeline stage to one of its replicas under a queue-group policy too (stages have no queue-group subject)', () => {
      const sut = routerWith(
        { 'f#1': [replica('a', { mode: Mode.Pp }), replica('b', { mode: Mode.Pp })] },
        { name: 'naive', routing: 'queue-group' },
        () => 0.9,
      );

      const route = sut.route('f', undefined, 1);

      expect(route.target).toBe(RouteTarget.Replica);
      expect(route.device).toBe('b');
      expect(routeSubject(route)).toBe(subjects.device(Mode.Pp, 'f', 'b'));
      expect(sut.route('f', 'b', 1).device).toBe('a');
    });

    it('routes a pipeline stage to one of its replicas even when none looks ready (stages have no queue group)', () => {
      const sut = routerWith({ 'f#1': [replica('a', { ready: false }), replica('b', { ready: false })] });

      const route = sut.route('f', 'a', 1);

      expect(route.target).toBe(RouteTarget.Replica);
      expect(route.device).toBe('b');
      expect(route.stage).toBe(1);
      expect(route.reason).toMatch(/^stage 1: /);
      expect(routeSubject(route)).toBe(subjects.device(Mode.Dp, 'f', 'b'));
    });

    it("names the chosen replica's device subject", () => {
      const sut = routerWith({ f: [replica('gpu-0')] });

      expect(routeSubject(sut.route('f'))).toBe(subjects.device(Mode.Dp, 'f', 'gpu-0'));
    });
  });

  describe('route with a stream key (sticky)', () => {
    const three = () => [replica('a', { queued: 9 }), replica('b'), replica('c')];

    it('sends a stream to its rendezvous replica whatever the load and the policy', () => {
      const expected = chooseStickyReplica(three(), 'mic-1');
      const d = expected.kind === 'replica' ? expected.device : '';
      for (const policy of [stateAware, { name: 'naive', routing: 'queue-group' } as const]) {
        const route = routerWith({ f: three() }, policy).route('f', undefined, undefined, 'mic-1');
        expect(route).toMatchObject({ target: RouteTarget.Replica, device: d, streamKey: 'mic-1' });
        expect(route.reason).toMatch(/^sticky: stream "mic-1"/);
      }
    });

    it('on retry keeps the key and moves the stream to its next replica', () => {
      const sut = routerWith({ f: three() });
      const first = sut.route('f', undefined, undefined, 'mic-1');
      const retry = sut.retryTarget(first);
      const next = chooseStickyReplica(
        three().filter((r) => r.device !== first.device),
        'mic-1',
      );
      expect(retry).toMatchObject({ target: RouteTarget.Replica, streamKey: 'mic-1', device: next.kind === 'replica' ? next.device : '' });
    });

    it('falls back to the queue group when no replica looks ready, and is unplaced when none is placed', () => {
      const sut = routerWith({ f: [replica('a', { ready: false })] });
      expect(sut.route('f', undefined, undefined, 'k')).toMatchObject({ target: RouteTarget.QueueGroup, streamKey: 'k' });
      expect(sut.route('g', undefined, undefined, 'k').target).toBe(RouteTarget.Unplaced);
    });
  });

  describe('retryTarget', () => {
    it('after a replica had no responders: another replica', () => {
      const sut = routerWith({ f: [replica('a'), replica('b', { queued: 3 })] });
      const first = sut.route('f');

      const retry = sut.retryTarget(first);

      expect(first.device).toBe('a');
      expect(retry.device).toBe('b');
    });

    it('with no other replica: the queue group', () => {
      const sut = routerWith({ f: [replica('a')] });

      const retry = sut.retryTarget(sut.route('f'));

      expect(retry.target).toBe(RouteTarget.QueueGroup);
      expect(routeSubject(retry)).toBe(subjects.mode(Mode.Dp, 'f'));
    });

    it('after the queue group had no responders: the queue group again', () => {
      const sut = routerWith({ f: [replica('a', { ready: false })] });
      const first = sut.route('f');

      expect(sut.retryTarget(first)).toBe(first);
    });

    it('when the placement emptied meanwhile: unplaced', () => {
      const view = new FakeReplicaView();
      view.units.set('f', [replica('a')]);
      const sut = new RequestRouter<string>(view, { policy: stateAware, random: () => 0 });
      const first = sut.route('f');
      view.units.delete('f');

      expect(sut.retryTarget(first).target).toBe(RouteTarget.Unplaced);
    });
  });

  describe('deadlineOf', () => {
    it.each([
      { name: 'no client deadline: arrival + SLO', client: undefined, expected: 1_100 },
      { name: 'a client deadline of 0 is none', client: 0, expected: 1_100 },
      { name: 'an earlier client deadline wins', client: 1_050, expected: 1_050 },
      { name: 'a later client deadline does not extend the SLO', client: 5_000, expected: 1_100 },
    ])('$name', ({ client, expected }) => {
      expect(RequestRouter.deadlineOf(100, 1_000, client)).toBe(expected);
    });
  });

  it('an unplaced route has no subject', () => {
    const sut = routerWith({});

    expect(() => routeSubject(sut.route('f'))).toThrow(/no replica placed/);
  });
});
