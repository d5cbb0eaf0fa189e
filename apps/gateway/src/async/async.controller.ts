import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { ApiAcceptedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Scope } from '@epara/contracts';
import { NeedsScope } from '@epara/nats';
import { AccessControl } from '../auth/access-control';
import { invokeRequestFrom } from '../invoke/http-invoke';
import { ApiErrors, EXAMPLE_ERRORS, INVOKE_ERRORS } from '../openapi/api-errors';
import { ApiInvocation } from '../openapi/api-invocation';
import { INFER_RESPONSE_EXAMPLE } from '../openapi/examples';
import { AsyncRequestRecord, AsyncService, CALLBACK_HEADER } from './async.service';
import { callbackRefused } from './callback-policy';

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
  @ApiInvocation({ summary: 'Invoke durably: 202 with an id; poll GET /v1/requests/:id or give X-Callback-Url', reply: false })
  @ApiHeader({
    name: CALLBACK_HEADER,
    required: false,
    description: 'where to POST the final record: a host on EPARA_CALLBACK_ALLOW_HOSTS (else 400, nothing queued)',
  })
  @ApiAcceptedResponse({
    description: 'queued: poll `statusUrl`',
    example: {
      id: 'Xq3mT9vB2kL8pN4rW1yZ6c',
      function: 'add',
      status: 'queued',
      submittedAt: 1764770000000,
      statusUrl: '/v1/requests/Xq3mT9vB2kL8pN4rW1yZ6c',
    },
  })
  @ApiErrors({
    400: callbackRefused('host example.org:443 is not in EPARA_CALLBACK_ALLOW_HOSTS').message,
    404: EXAMPLE_ERRORS.notDeployed,
    413: INVOKE_ERRORS[413],
    503: EXAMPLE_ERRORS.notLoaded,
  })
  async submit(@Param('name') name: string, @Req() req: Request): Promise<AsyncRequestRecord & { statusUrl: string }> {
    const callback = req.headers[CALLBACK_HEADER.toLowerCase()];
    const r = await this.async.submit(name, invokeRequestFrom(req), Array.isArray(callback) ? callback[0] : callback);
    return { ...r, statusUrl: `/v1/requests/${r.id}` };
  }

  /** A result is the function's output: it needs invoke on that function (an `invoke:cam-*` key sees cam-* results only). */
  @Get('requests/:id')
  @NeedsScope(Scope.Invoke)
  @ApiOperation({ summary: 'Async status and result: queued, running, done (with result) or failed (with error); kept 1 h' })
  @ApiOkResponse({
    example: {
      id: 'Xq3mT9vB2kL8pN4rW1yZ6c',
      function: 'add',
      status: 'done',
      submittedAt: 1764770000000,
      finishedAt: 1764770000012,
      attempts: 1,
      result: INFER_RESPONSE_EXAMPLE,
    },
  })
  @ApiErrors({ 404: 'no async request "Xq3mT9vB2kL8pN4rW1yZ6c" (results are kept for 1 hour)' })
  async status(@Param('id') id: string, @Req() req: Request): Promise<AsyncRequestRecord> {
    const record = await this.async.status(id);
    this.access.authorize(req, { scope: Scope.Invoke, function: record.function });
    return record;
  }
}
