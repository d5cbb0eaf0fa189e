/**
 * Failover and stability of the state-aware scheduler (the scheduler issue's targets), on real processes:
 *  1. steady load for ten placement periods: how many placement changes (`placed` events) happen;
 *  2. a device holding a replica is killed (SIGKILL): goodput per second before and after, and how long
 *     until it is back to ≥ 90% of its level before (target: within two periods).
 * Run: npm run bench:failover [-- --rate=200 --out=file.md]
 */
import { encodeTensorsMsgpack } from '@epara/contracts';
import { buildCnn } from '@epara/runtime/synthetic';
import { machineLine, maybeWriteReport, parseArgs } from './lib/args';
import { withCluster } from './lib/cluster';
import { natsInvoker } from './lib/load';
import { markdownTable } from './lib/table';

const args = parseArgs();
const PERIOD_MS = 1000;
const rate = args.num('rate', 200);
const sloMs = 100;

async function main(): Promise<void> {
  console.log(`[bench:failover] ${machineLine()}`);
  await withCluster(
    {
      workers: 3,
      env: {
        EPARA_PLACEMENT_PERIOD_MS: String(PERIOD_MS),
        EPARA_DEVICE_LOST_MS: '1500',
        EPARA_HEARTBEAT_MS: '250',
        EPARA_LEADER_REFRESH_MS: '500',
      },
    },
    async (c) => {
      await c.deploy({ name: 'cnn', kind: 'tensor', slo: { latencyMs: sloMs }, hints: { replicas: 2 } }, buildCnn());
      await new Promise((r) => setTimeout(r, 2 * PERIOD_MS));
      const placedEvents: number[] = [];
      const t0 = performance.now();
      c.nc.subscribe('epara.v1.events.placed', { callback: () => void placedEvents.push(performance.now() - t0) });
      const body = encodeTensorsMsgpack([
        { name: 'x', datatype: 'FP32', shape: [1, 3, 64, 64], data: new Float32Array(3 * 64 * 64).fill(0.2) },
      ]);
      const invoke = natsInvoker(c.nc, 'epara.v1.invoke.cnn', body, {
        contentType: 'application/msgpack',
        accept: 'application/msgpack',
        timeoutMs: sloMs + 1000,
      });
      const seconds = 30;
      const killAtS = 15;
      const good = new Array<number>(seconds).fill(0);
      const sent = new Array<number>(seconds).fill(0);
      let victim = '';
      const pending: Promise<void>[] = [];
      let next = performance.now();
      const end = t0 + seconds * 1000;
      let killed = false;
      while (performance.now() < end) {
        const now = performance.now();
        if (!killed && now - t0 >= killAtS * 1000) {
          killed = true;
          const devices = (await c.assignments('cnn')).map((a) => a.device);
          victim = devices[0];
          const child = c.workers.find((w) => w.env.EPARA_DEVICE === victim.replace('-', ':'))!;
          child.stopping = true;
          child.proc.kill('SIGKILL');
        }
        while (next <= now) {
          const sentAt = next;
          const bucket = Math.floor((sentAt - t0) / 1000);
          if (bucket < seconds) sent[bucket]++;
          pending.push(
            invoke().then(
              () => {
                if (performance.now() - sentAt <= sloMs && bucket < seconds) good[bucket]++;
              },
              () => undefined,
            ),
          );
          next += (-Math.log(1 - Math.random()) * 1000) / rate;
        }
        await new Promise((r) => setTimeout(r, 1));
      }
      await Promise.all(pending);
      const steadyChanges = placedEvents.filter((t) => t < killAtS * 1000).length;
      const before = good.slice(killAtS - 10, killAtS).reduce((a, b) => a + b, 0) / 10;
      // Judged on the share of each second's arrivals served within the SLO: arrivals are Poisson, so the
      // raw count of good replies swings ±10% from one second to the next on its own.
      const share = (s: number) => (sent[s] ? good[s] / sent[s] : 1);
      const shareBefore =
        good.slice(killAtS - 10, killAtS).reduce((a, b) => a + b, 0) / sent.slice(killAtS - 10, killAtS).reduce((a, b) => a + b, 0);
      const okAt = (s: number) => share(s) >= 0.9 * shareBefore;
      const recoverS = good.findIndex((_, s) => s > killAtS && okAt(s) && [s + 1, s + 2].every((x) => x >= seconds || okAt(x)));
      const rows = good.map((g, s) => [s, sent[s], g, s === killAtS ? `← ${victim} killed` : '']);
      const timeline = markdownTable(['second', 'sent', 'good (≤ SLO)', ''], rows);
      const summary = markdownTable(
        ['measure', 'value', 'target'],
        [
          [
            'placement changes during 10 periods of steady load (s 5–15)',
            String(placedEvents.filter((t) => t >= 5000 && t < killAtS * 1000).length),
            '0',
          ],
          ['placement changes before the kill (incl. start-up)', String(steadyChanges), '—'],
          [
            'goodput before the kill (mean of 10 s)',
            `${before.toFixed(0)}/s (${(shareBefore * 100).toFixed(1)}% of arrivals within SLO)`,
            '—',
          ],
          [
            'back to ≥ 90% of that share (and staying 3 s)',
            recoverS < 0
              ? 'not within the run'
              : `${recoverS - killAtS} s after the kill (${((recoverS - killAtS) * 1000) / PERIOD_MS} periods)`,
            '≤ 2 periods',
          ],
        ],
      );
      console.log(
        `\nrate ${rate}/s Poisson, SLO ${sloMs} ms, CNN with 2 replicas on 3 workers, placement period ${PERIOD_MS} ms\n${summary}\n\n${timeline}`,
      );
      maybeWriteReport(args, `${summary}\n\n${timeline}\n`);
    },
  );
}

main().catch((e) => {
  console.error(`[bench:failover] failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
