import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { invokeRequestFrom } from '../invoke/http-invoke';
import { AsyncRequestRecord, AsyncService, CALLBACK_HEADER } from './async.service';

@ApiTags('functions')
@Controller('v1')
export class AsyncController {
  constructor(private readonly async: AsyncService) {}

  @Post('functions/:name/async')
  @HttpCode(202)
  @ApiOperation({ summary: 'Invoke durably: 202 with an id; poll GET /v1/requests/:id or give X-Callback-Url' })
  async submit(@Param('name') name: string, @Req() req: Request): Promise<AsyncRequestRecord & { statusUrl: string }> {
    const callback = req.headers[CALLBACK_HEADER.toLowerCase()];
    const r = await this.async.submit(name, invokeRequestFrom(req), Array.isArray(callback) ? callback[0] : callback);
    return { ...r, statusUrl: `/v1/requests/${r.id}` };
  }

  @Get('requests/:id')
  status(@Param('id') id: string): Promise<AsyncRequestRecord> {
    return this.async.status(id);
  }
}
