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
          return { ...d, live: ageMs <= STALE_AFTER_MS, ageMs: Number.isFinite(ageMs) ? ageMs : -1 };
        })
        .sort((a, b) => a.device.localeCompare(b.device)),
    };
  }

  @Get('placement')
  @ApiOperation({ summary: 'What each device serves: assignments and the reason' })
  placement(): { placement: DevicePlacement[] } {
    return { placement: this.cluster.state.placement() };
  }
}
