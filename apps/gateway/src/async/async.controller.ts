import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Scope } from '@epara/contracts';
import { NeedsScope } from '@epara/nats';
import { AccessControl } from '../auth/access-control';
import { invokeRequestFrom } from '../invoke/http-invoke';
import { AsyncRequestRecord, AsyncService, CALLBACK_HEADER } from './async.service';

@ApiTags('functions')
@Controller('v1')
export class AsyncController {
  constructor(
    private readonly async: AsyncService,
    private readonly access: AccessControl,
  ) {}

  @Post('functions/:name/async')
  @NeedsScope(Scope.Invoke)
  @HttpCode(202)
  @ApiOperation({ summary: 'Invoke durably: 202 with an id; poll GET /v1/requests/:id or give X-Callback-Url' })
  async submit(@Param('name') name: string, @Req() req: Request): Promise<AsyncRequestRecord & { statusUrl: string }> {
    const callback = req.headers[CALLBACK_HEADER.toLowerCase()];
    const r = await this.async.submit(name, invokeRequestFrom(req), Array.isArray(callback) ? callback[0] : callback);
    return { ...r, statusUrl: `/v1/requests/${r.id}` };
  }

  /** A result is the function's output: it needs invoke on that function (an `invoke:cam-*` key sees cam-* results only). */
  @Get('requests/:id')
  @NeedsScope(Scope.Invoke)
  async status(@Param('id') id: string, @Req() req: Request): Promise<AsyncRequestRecord> {
    const record = await this.async.status(id);
    this.access.authorize(req, { scope: Scope.Invoke, function: record.function });
    return record;
  }
}
