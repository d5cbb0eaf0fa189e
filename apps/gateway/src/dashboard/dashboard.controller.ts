import { Controller, Get, Header, Query, StreamableFile } from '@nestjs/common';
import { ApiExcludeController, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { EparaError, Scope } from '@epara/contracts';
import { NeedsScope, OpenRoute } from '@epara/nats';
import { DASHBOARD_HTML } from './dashboard.html';
import { DashboardHistory, DashboardSeries } from './dashboard-history.service';
import { UPLOT_CSS, UPLOT_JS } from './uplot-assets';

/**
 * A small operator page: live plots of the gateway's recent history, devices, functions with their
 * category and reason, and the placement. The page and its plotting library are open; the page asks
 * for a key with scope `read` and sends it with the fetches of its data.
 */
@ApiExcludeController()
@Controller()
export class DashboardController {
  @Get(['', 'dashboard'])
  @OpenRoute()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return DASHBOARD_HTML;
  }

  /** uPlot, served from the installed package: edge sites are often offline, so no CDN. */
  @Get('dashboard/uplot.js')
  @OpenRoute()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  uplotJs(): StreamableFile {
    return new StreamableFile(UPLOT_JS());
  }

  @Get('dashboard/uplot.css')
  @OpenRoute()
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'public, max-age=86400')
  uplotCss(): StreamableFile {
    return new StreamableFile(UPLOT_CSS());
  }
}

/**
 * Parses `since` (epoch ms after which samples are wanted; absent: everything kept). Strict: a value
 * that is not a non-negative integer is a 400, never read as 0.
 */
export function parseSince(since: unknown): number {
  if (since === undefined || since === '') return 0;
  if (typeof since !== 'string' || !/^\d{1,16}$/.test(since))
    throw EparaError.badInput(`query parameter "since" must be epoch milliseconds (a non-negative integer), not ${JSON.stringify(since)}`, {
      parameter: 'since',
    });
  return Number(since);
}

@ApiTags('dashboard')
@Controller('v1/dashboard')
@NeedsScope(Scope.Read)
export class DashboardSeriesController {
  constructor(private readonly history: DashboardHistory) {}

  @Get('series')
  @ApiOperation({
    summary:
      "The gateway's recent history, one sample per period: per function goodput, offered rate, share within the SLO, latency percentiles, queue and batch size; per device utilization, queue and units; placement changes",
  })
  @ApiQuery({
    name: 'since',
    required: false,
    description: 'epoch ms: only samples and changes after it (the page polls with its last sample time)',
  })
  series(@Query('since') since?: string): DashboardSeries {
    return this.history.series(parseSince(since));
  }
}
