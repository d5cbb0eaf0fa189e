import { DevicePlacement, DeviceState } from '@epara/contracts';
import { formatAge, formatBytes, table } from '../format';
import { Command, CommandGroup } from './types';

type DeviceView = DeviceState & { live: boolean; ageMs: number };

export const devicesCommand: Command = {
  path: ['devices'],
  usage: '',
  summary: 'devices with their last heartbeat: live, provider, memory, utilization, queue, functions',
  args: { min: 0, max: 0 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const { devices } = await ctx.gateway().json<{ devices: DeviceView[] }>('/v1/devices');
    if (ctx.json) {
      ctx.printJson(devices);
      return 0;
    }
    if (devices.length === 0) {
      ctx.io.err('no devices have reported: start a worker (npm start starts two)');
      return 0;
    }
    ctx.print(
      table(
        ['device', 'slot', 'live', 'provider', 'memory used', 'util', 'queued', 'running', 'functions', 'seen'],
        devices.map((d) => [
          d.device,
          d.slot,
          d.live ? 'yes' : 'NO',
          d.executionProvider + (d.providerNote ? '*' : ''),
          `${formatBytes(d.memoryBytes - d.memoryFreeBytes)} / ${formatBytes(d.memoryBytes)}`,
          `${Math.round(d.utilization * 100)}%`,
          d.queued,
          d.running,
          d.functions.map((f) => `${f.fn}${f.ready ? '' : ' (loading)'}`).join(',') || '-',
          `${formatAge(d.ageMs)} ago`,
        ]),
      ),
    );
    for (const d of devices.filter((x) => x.providerNote)) ctx.print(`* ${d.device}: ${d.providerNote}`);
    return 0;
  },
};

export const placementCommand: Command = {
  path: ['placement'],
  usage: '',
  summary: 'which functions run on which device, with their batching limits and the reason',
  args: { min: 0, max: 0 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const { placement } = await ctx.gateway().json<{ placement: DevicePlacement[] }>('/v1/placement');
    const sorted = [...placement].sort((a, b) => a.device.localeCompare(b.device));
    if (ctx.json) {
      ctx.printJson(sorted);
      return 0;
    }
    if (sorted.length === 0) {
      ctx.io.err('no placement yet: the scheduler writes one within a period of a device joining');
      return 0;
    }
    const rows: (string | number)[][] = [];
    for (const p of sorted) {
      if (p.assignments.length === 0) rows.push([p.device, '-', '-', '-', '-', p.reason]);
      p.assignments.forEach((a, i) => rows.push([p.device, a.fn, a.mode, a.maxBatchSize, a.maxQueueDelayMs, i === 0 ? p.reason : '']));
    }
    ctx.print(table(['device', 'function', 'mode', 'max batch', 'max delay ms', 'reason'], rows));
    return 0;
  },
};
