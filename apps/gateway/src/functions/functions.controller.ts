import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { FunctionRecord, Scope } from '@epara/contracts';
import { NeedsScope } from '@epara/nats';
import { GenerationStreamer } from '../invoke/generation-streamer';
import { InvokeService } from '../invoke/invoke.service';
import { DeployService } from './deploy.service';
import { FunctionRegistry } from './function-registry.service';
import { ModelUploadLimit } from './model-upload-limit';
import { invokeRequestFrom, sendReply, streamEvents } from '../invoke/http-invoke';

@ApiTags('functions')
@Controller('v1/functions')
export class FunctionsController {
  constructor(
    private readonly deployer: DeployService,
    private readonly registry: FunctionRegistry,
    private readonly invoker: InvokeService,
    private readonly streamer: GenerationStreamer,
  ) {}

  @Post()
  @NeedsScope(Scope.Admin)
  @ApiOperation({ summary: 'Deploy a function: multipart (spec JSON + model file) or a JSON spec naming a stored or bundled model' })
  @ApiConsumes('multipart/form-data', 'application/json')
  @UseInterceptors(ModelUploadLimit, FileInterceptor('model'))
  deploy(@Body() body: Record<string, unknown>, @UploadedFile() model?: Express.Multer.File): Promise<FunctionRecord> {
    return this.deployer.deploy(body && 'spec' in body ? body.spec : body, model?.buffer);
  }

  @Get()
  @NeedsScope(Scope.Read)
  list(): { functions: FunctionRecord[] } {
    return { functions: this.registry.list() };
  }

  @Get(':name')
  @NeedsScope(Scope.Read)
  get(@Param('name') name: string): FunctionRecord {
    return this.registry.get(name);
  }

  @Patch(':name')
  @NeedsScope(Scope.Admin)
  patch(@Param('name') name: string, @Body() body: unknown): Promise<FunctionRecord> {
    return this.deployer.patch(name, body);
  }

  @Delete(':name')
  @NeedsScope(Scope.Admin)
  @HttpCode(204)
  remove(@Param('name') name: string): Promise<void> {
    return this.deployer.remove(name);
  }

  @Post(':name/invoke')
  @NeedsScope(Scope.Invoke)
  @ApiOperation({ summary: 'Invoke synchronously: Open Inference Protocol JSON, msgpack, or media bytes by Content-Type' })
  async invoke(@Param('name') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const request = invokeRequestFrom(req);
    if (this.streamer.wantsStream(name, request.accept))
      return streamEvents(res, (onEvent, signal) => this.streamer.stream(name, request, onEvent, signal));
    sendReply(res, await this.invoker.invoke(name, request, 'http'));
  }
}
