import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiConsumes, ApiExtraModels, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DeployFunctionDto, EparaError, FunctionRecord, PatchFunctionDto, Scope } from '@epara/contracts';
import { NeedsScope } from '@epara/nats';
import { GenerationStreamer } from '../invoke/generation-streamer';
import { InvokeService } from '../invoke/invoke.service';
import { DeployService } from './deploy.service';
import { FunctionRegistry } from './function-registry.service';
import { ModelUploadLimit, SPEC_FIELD_BYTES } from './model-upload-limit';
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
  @ApiExtraModels(DeployFunctionDto)
  @ApiBody({
    description:
      'multipart: `spec` (the JSON below, as a text field or a file part) and `model` (the ONNX file); or the spec alone as JSON, naming `model.bundled` or `model.sha256` (an `ocr` function names its three models in `models.det`, `models.cls`, `models.rec`)',
    schema: {
      oneOf: [
        { $ref: getSchemaPath(DeployFunctionDto) },
        {
          type: 'object',
          required: ['spec'],
          properties: {
            spec: { type: 'string', description: 'the DeployFunctionDto as JSON' },
            model: { type: 'string', format: 'binary' },
          },
        },
      ],
    },
  })
  // The spec is a text field (`-F 'spec=<spec.json'`); sent as a file (`-F spec=@spec.json`) it is read the same.
  @UseInterceptors(
    ModelUploadLimit,
    FileFieldsInterceptor([
      { name: 'model', maxCount: 1 },
      { name: 'spec', maxCount: 1 },
    ]),
  )
  deploy(
    @Body() body: Record<string, unknown>,
    @UploadedFiles() files: { model?: Express.Multer.File[]; spec?: Express.Multer.File[] } = {},
  ): Promise<FunctionRecord> {
    const specFile = files.spec?.[0];
    if (specFile && specFile.size > SPEC_FIELD_BYTES)
      throw EparaError.badInput(`the spec file is ${specFile.size} bytes; a spec is at most ${SPEC_FIELD_BYTES} bytes of JSON`, {
        field: 'spec',
      });
    const spec = specFile ? specFile.buffer.toString('utf8') : body && 'spec' in body ? body.spec : body;
    return this.deployer.deploy(spec, files.model?.[0]?.buffer);
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
  @ApiBody({ type: PatchFunctionDto })
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
