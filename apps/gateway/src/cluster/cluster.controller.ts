import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DevicePlacement, DeviceState, Scope } from '@epara/contracts';
import { STALE_AFTER_MS } from '@epara/core';
import { NeedsScope } from '@epara/nats';
import { ClusterView } from './cluster-view.service';

@ApiTags('cluster')
@Controller('v1')
@NeedsScope(Scope.Read)
export class ClusterController {
  constructor(private readonly cluster: ClusterView) {}

  /** Devices with their last heartbeat; `live` is false once heartbeats stopped. */
  @Get('devices')
  @ApiOperation({ summary: 'Devices with their last heartbeat: live, provider, memory, queue' })
  devices(): { devices: (DeviceState & { live: boolean; ageMs: number })[] } {
    return {
      devices: this.cluster.state
        .allDevices()
        .map((d) => {
          const ageMs = this.cluster.state.ageMs(d.device);
          return { ...d, live: this.live(d.device), ageMs: Number.isFinite(ageMs) ? ageMs : -1 };
        })
        .sort((a, b) => a.device.localeCompare(b.device)),
    };
  }

  /**
   * What each device serves. `away: true` marks the key of a device not heard from lately (lost, or cut
   * off): the scheduler keeps it for the device's return (`EPARA_DEVICE_REJOIN_MS`), nothing is routed
   * there meanwhile, and its work is placed on the live devices.
   */
  @Get('placement')
  @ApiOperation({ summary: 'What each device serves: assignments and the reason; away: kept for a device not heard from lately' })
  placement(): { placement: (DevicePlacement & { away?: true })[] } {
    return {
      placement: this.cluster.state.placement().map((p) => (this.live(p.device) ? p : { ...p, away: true as const })),
    };
  }

  /** Heard from lately: its last heartbeat is fresh enough to route by. */
  private live(device: string): boolean {
    return this.cluster.state.ageMs(device) <= STALE_AFTER_MS;
  }
}
